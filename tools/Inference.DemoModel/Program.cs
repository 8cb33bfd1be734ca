using Inference.DemoModel;

// Regenerates the demo model directory. Usage: inference-demo-model [directory] (default models/shapes-demo).
var directory = args.Length > 0 ? args[0] : Path.Combine("models", DemoModelFiles.ModelName);
foreach (var file in DemoModelFiles.Write(directory))
{
    Console.WriteLine(Path.Combine(directory, file));
}
