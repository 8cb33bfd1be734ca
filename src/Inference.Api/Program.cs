using Inference.Api.Detection;
using Inference.Api.Health;
using Inference.Api.Hosting;
using Inference.Api.Model;

var builder = WebApplication.CreateBuilder(args);
builder.AddInferenceService();

var app = builder.Build();
app.UseInferenceMiddleware();
app.MapDetection();
app.MapModelInfo();
app.MapHealth();
app.MapObservability();
app.Run();
