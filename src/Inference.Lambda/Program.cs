using Inference.Lambda.Hosting;

return await LambdaHost.RunAsync().ConfigureAwait(false);
