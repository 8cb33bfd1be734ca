using System.Security.Cryptography;
using System.Text;
using Amazon.S3.Model;
using Inference.Core.Model;
using Inference.Registry.Datasets;
using Inference.Registry.Models;
using Inference.Registry.Storage;
using Inference.Testing;

namespace Inference.Registry.Tests;

/// <summary>A registry on its own database of the MongoDB test server, verifying artifacts against the S3 test server.</summary>
public sealed class RegistryHarness
{
    private RegistryHarness(ModelRegistry registry, string bucket)
    {
        Registry = registry;
        Bucket = bucket;
    }

    public ModelRegistry Registry { get; }

    public string Bucket { get; }

    public static async Task<RegistryHarness> CreateAsync()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var database = await RegistryDatabase.ConnectAsync(MongoTestServer.Uri!, MongoTestServer.NewDatabaseName());
        var bucket = await S3TestServer.CreateBucketAsync();
        return new RegistryHarness(new ModelRegistry(database, new S3ArtifactVerifier(S3TestServer.Client(), S3TestServer.Options())), bucket);
    }

    public static DatasetDocument Dataset(string name = "shapes", int version = 0, string? contentHash = null) => new()
    {
        Name = name,
        Version = version,
        Source = new DatasetSource { Kind = DatasetSourceKind.Roboflow, Workspace = "acme", Project = name, Version = "3", Url = "https://universe.roboflow.com/acme/shapes/3" },
        Classes = ["red", "green", "blue", "yellow"],
        ImageCounts = new Dictionary<string, int> { ["train"] = 70, ["valid"] = 20, ["test"] = 10 },
        ContentHash = contentHash,
        CreatedBy = "test",
    };

    /// <summary>Uploads small weights (with their hash as metadata, as 'model push' does) and a manifest; returns the pinned artifact.</summary>
    public async Task<ModelArtifact> UploadArtifactAsync(string seed = "weights", bool withMetadata = true)
    {
        var weights = Encoding.UTF8.GetBytes($"pretend onnx bytes: {seed} {Guid.NewGuid()}");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(weights));
        using var s3 = S3TestServer.Client();
        var put = new PutObjectRequest { BucketName = Bucket, Key = "models/detector/model.onnx", InputStream = new MemoryStream(weights) };
        if (withMetadata)
        {
            put.Metadata.Add("sha256", sha256);
        }

        var weightsVersion = (await s3.PutObjectAsync(put)).VersionId;
        var manifest = await S3TestServer.PutAsync(Bucket, "models/detector/manifest.json", Encoding.UTF8.GetBytes("{}"));
        return new ModelArtifact
        {
            Weights = new PinnedFile($"s3://{Bucket}/models/detector/model.onnx", weightsVersion, sha256, weights.Length),
            Manifest = new PinnedFile(manifest.Uri, manifest.VersionId!),
            Format = OutputLayout.Name(OutputFormat.Yolov8),
            InputWidth = 640,
            InputHeight = 640,
            Classes = ["red", "green", "blue", "yellow"],
        };
    }

    public static ModelDocument Model(string name, DatasetDocument dataset, ModelArtifact artifact) => new()
    {
        Name = name,
        Dataset = new DatasetReference(dataset.Name, dataset.Version, dataset.Id),
        Artifact = artifact,
        Training = new TrainingInfo
        {
            Source = TrainingSource.Roboflow,
            Framework = "ultralytics",
            Architecture = "yolov8n",
            Epochs = 100,
            ImageSize = 640,
            JobId = "job-1",
            Hyperparameters = new Dictionary<string, string> { ["lr0"] = "0.01" },
            Metrics = new TrainingMetrics { Map50 = 0.91, Map50To95 = 0.68, Precision = 0.88, Recall = 0.84 },
        },
        Tags = ["demo"],
        GitCommit = "abc1234",
        CreatedBy = "test",
    };

    public async Task<ModelDocument> RegisterModelAsync(string name = "detector")
    {
        var dataset = await Registry.Datasets.RegisterAsync(Dataset());
        return await Registry.Models.RegisterAsync(Model(name, dataset, await UploadArtifactAsync()));
    }
}
