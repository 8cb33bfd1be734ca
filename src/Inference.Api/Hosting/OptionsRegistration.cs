using Microsoft.Extensions.Options;

namespace Inference.Api.Hosting;

internal static class OptionsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to a configuration section and validates it when the host starts, so a bad
    /// setting stops the boot with sentences that name their keys.
    /// </summary>
    public static IServiceCollection AddValidatedOptions<T>(this IServiceCollection services, string section, Func<T, IEnumerable<string>> validate)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new DelegateValidator<T>(validate));
        return services;
    }

    private sealed class DelegateValidator<T>(Func<T, IEnumerable<string>> validate) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = validate(options).ToArray();
            return problems.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}

/// <summary>Resolves configured relative paths: against the content root first, then the application directory.</summary>
internal static class ContentPaths
{
    public static string Resolve(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        var fromContentRoot = Path.GetFullPath(path, contentRoot);
        if (File.Exists(fromContentRoot))
        {
            return fromContentRoot;
        }

        // 'dotnet run' and containers start from different directories; the embedded model sits beside the app.
        var fromApp = Path.GetFullPath(path, AppContext.BaseDirectory);
        return File.Exists(fromApp) ? fromApp : fromContentRoot;
    }
}
