using Inference.Cli;

return await InferenceCli.RunAsync(args, Console.Out, Console.Error);
