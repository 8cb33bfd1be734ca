using Inference.Api.Compat;
using Inference.Api.Compat.SageMaker;
using Inference.Api.Detection;
using Inference.Api.Health;
using Inference.Api.Hosting;
using Inference.Api.Models;
using Inference.Api.Ui;
using Microsoft.Extensions.Options;

try
{
    var builder = WebApplication.CreateBuilder(SageMakerServe.HostArguments(args));
    builder.AddInferenceService();
    if (SageMakerServe.Requested(args))
    {
        builder.AddSageMakerServe();
    }

    var app = builder.Build();

    // Validate before the host starts: a bad setting is then one sentence, not a logged start-up failure with a stack.
    app.Services.GetRequiredService<IStartupValidator>().Validate();
    app.UseInferenceMiddleware();
    app.MapDetection();
    app.MapModels();
    app.MapHealth();
    app.MapObservability();
    app.MapUi();
    app.MapCompatibleFrontEnds();
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (StartupFailure.Describe(ex) is { } problems)
{
    return StartupFailure.Report(problems);
}
