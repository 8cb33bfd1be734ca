using Inference.Testing;
using Inference.DemoModel;

namespace Inference.Core.Tests.DemoModel;

public sealed class DemoModelRegenerationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("demo-model-").FullName;

    [Fact]
    public void Regenerating_gives_byte_identical_files_to_the_committed_ones()
    {
        var files = DemoModelFiles.Write(_directory);

        Assert.Contains(DemoModelFiles.WeightsFile, files);
        foreach (var file in files)
        {
            var committed = Path.Combine(RepositoryPaths.DemoModelDirectory, file);
            Assert.True(File.Exists(committed), $"{file} is generated but not committed under models/shapes-demo.");
            Assert.True(
                File.ReadAllBytes(committed).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_directory, file))),
                $"{file} differs from the committed copy; run 'dotnet run --project tools/Inference.DemoModel' and commit the result.");
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
