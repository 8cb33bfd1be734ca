using Inference.Core.Backends;
using Inference.Core.Serving;
using Inference.Core.Imaging;
using Inference.Core.Inputs;
using Inference.Core.Repository;
using Inference.Core.Scheduling;
using Inference.Core.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Inference.Core.Hosting;

/// <summary>
/// The options every host binds, each from its one section and checked by its source-generated validator, registered
/// once here for the service and the Lambda function alike. A bad value stops the start with a sentence naming its key,
/// and so does a number where a setting takes a name (<see cref="EnumSettings"/>).
/// </summary>
public static class InferenceOptions
{
    public static IServiceCollection AddInferenceOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.Add<BackendOptions, BackendOptionsValidator>(configuration, BackendOptions.Section);
        services.Add<BatchingOptions, BatchingOptionsValidator>(configuration, BatchingOptions.Section);
        services.Add<LimitsOptions, LimitsOptionsValidator>(configuration, LimitsOptions.Section);
        services.Add<ImageLimits, ImageLimitsValidator>(configuration, LimitsOptions.Section);
        services.Add<S3Options, S3OptionsValidator>(configuration, S3Options.Section);
        services.Add<InputsOptions, InputsOptionsValidator>(configuration, InputsOptions.Section);
        services.AddOptions<ModelRepositoryOptions>()
            .Configure(options =>
            {
                configuration.GetSection(ModelOptions.Section).Bind(options.Default);
                configuration.GetSection(ModelRepositoryOptions.Section).Bind(options.Models);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModelRepositoryOptions>, ModelRepositoryOptionsValidator>();
        services.AddSingleton<IValidateOptions<ModelRepositoryOptions>>(new EnumSettingsValidator<ModelRepositoryOptions>(
            configuration, (ModelOptions.Section, typeof(ModelOptions)), (ModelRepositoryOptions.Section, typeof(Dictionary<string, ModelOptions>))));
        return services;
    }

    public static IServiceCollection Add<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        services.AddSingleton<IValidateOptions<TOptions>>(new EnumSettingsValidator<TOptions>(configuration, (section, typeof(TOptions))));
        return services;
    }
}

[OptionsValidator]
public sealed partial class BackendOptionsValidator : IValidateOptions<BackendOptions>;

[OptionsValidator]
public sealed partial class BatchingOptionsValidator : IValidateOptions<BatchingOptions>;

[OptionsValidator]
public sealed partial class LimitsOptionsValidator : IValidateOptions<LimitsOptions>;

[OptionsValidator]
public sealed partial class ImageLimitsValidator : IValidateOptions<ImageLimits>;

[OptionsValidator]
public sealed partial class S3OptionsValidator : IValidateOptions<S3Options>;

[OptionsValidator]
public sealed partial class ModelRepositoryOptionsValidator : IValidateOptions<ModelRepositoryOptions>;

[OptionsValidator]
public sealed partial class InputsOptionsValidator : IValidateOptions<InputsOptions>;
