using Inference.Cli;
using Microsoft.ML.OnnxRuntime;

// ONNX Runtime's own warnings (an unused initializer, say) would land between the tool's sentences and its JSON;
// errors still reach the user through the loader's sentences.
var ortOptions = new EnvironmentCreationOptions { logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, logId = "inference" };
OrtEnv.CreateInstanceWithOptions(ref ortOptions);

return await InferenceCli.RunAsync(args, Console.Out, Console.Error);
