using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Inference.Cli.Roboflow;

/// <summary>
/// A Roboflow dataset export in the YOLOv8 layout: <c>data.yaml</c> (names, nc and a <c>roboflow</c> block) with
/// <c>train</c>, <c>valid</c> and <c>test</c> folders of <c>images/</c> and <c>labels/</c>, from a folder or a zip.
/// </summary>
public sealed class RoboflowExport : IDisposable
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp"];
    private static readonly string[] Splits = ["train", "valid", "test"];
    private readonly string? _extracted;

    private RoboflowExport(string root, string? extracted)
    {
        Root = root;
        _extracted = extracted;
    }

    public string Root { get; }

    public IReadOnlyList<string> Names { get; private set; } = [];

    public string? Workspace { get; private set; }

    public string? Project { get; private set; }

    public string? Version { get; private set; }

    public string? Url { get; private set; }

    public IReadOnlyDictionary<string, int> ImageCounts { get; private set; } = new Dictionary<string, int>();

    /// <summary>Opens a folder or a zip (extracted to a temporary folder, which <see cref="Dispose"/> removes).</summary>
    public static RoboflowExport Open(string path)
    {
        string? extracted = null;
        var folder = path;
        if (File.Exists(path))
        {
            extracted = Directory.CreateTempSubdirectory("roboflow-export-").FullName;

            // ExtractToDirectory refuses entries that would land outside the folder.
            ZipFile.ExtractToDirectory(path, extracted);
            folder = extracted;
        }
        else if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"The export '{path}' is neither a folder nor a zip file.", path);
        }

        var export = new RoboflowExport(FindRoot(folder), extracted);
        try
        {
            export.ReadDataYaml();
            export.ImageCounts = Splits.ToDictionary(s => s, export.CountImages);
            return export;
        }
        catch
        {
            export.Dispose();
            throw;
        }
    }

    /// <summary>The ONNX weights in the export, or a clear error when there are only PyTorch ones (or none).</summary>
    public string FindOnnxWeights()
    {
        var onnx = Directory.EnumerateFiles(Root, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        if (onnx.Length > 0)
        {
            return onnx.FirstOrDefault(f => Path.GetFileName(f) == "best.onnx") ?? onnx[0];
        }

        var torch = Directory.EnumerateFiles(Root, "*.pt", SearchOption.AllDirectories).FirstOrDefault();
        throw new InvalidDataException(torch is null
            ? "The export holds no model weights; pass --weights model.onnx."
            : $"The export has only PyTorch weights ({Path.GetRelativePath(Root, torch)}); the service runs ONNX. Export them first, " +
              $"e.g. 'yolo export model={Path.GetFileName(torch)} format=onnx imgsz=640 dynamic=True', then pass --weights <the .onnx file>.");
    }

    /// <summary>SHA-256 over every file's relative path and content (weights excluded), so the same export is recognised again.</summary>
    public string ContentHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
                     .Where(f => Path.GetExtension(f) is not (".onnx" or ".pt"))
                     .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
                     .Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            using var stream = File.OpenRead(Path.Combine(Root, file));
            hash.AppendData(SHA256.HashData(stream));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public void Dispose()
    {
        if (_extracted is not null && Directory.Exists(_extracted))
        {
            Directory.Delete(_extracted, recursive: true);
        }
    }

    private static string FindRoot(string folder)
    {
        if (File.Exists(Path.Combine(folder, "data.yaml")))
        {
            return folder;
        }

        // Zips often wrap the export in one folder.
        return Directory.EnumerateDirectories(folder).FirstOrDefault(d => File.Exists(Path.Combine(d, "data.yaml")))
            ?? throw new InvalidDataException($"No data.yaml in '{folder}': this is not a Roboflow YOLOv8 export.");
    }

    private void ReadDataYaml()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Root, "data.yaml")))
        {
            yaml.Load(reader);
        }

        var document = yaml.Documents.FirstOrDefault()?.RootNode as YamlMappingNode
            ?? throw new InvalidDataException("data.yaml is empty or not a mapping.");
        Names = ReadNames(Child(document, "names") ?? throw new InvalidDataException("data.yaml has no 'names'."));
        if (Child(document, "nc") is YamlScalarNode nc && int.TryParse(nc.Value, System.Globalization.CultureInfo.InvariantCulture, out var count) && count != Names.Count)
        {
            throw new InvalidDataException($"data.yaml says nc: {count} but lists {Names.Count} names.");
        }

        if (Child(document, "roboflow") is YamlMappingNode roboflow)
        {
            Workspace = Scalar(roboflow, "workspace");
            Project = Scalar(roboflow, "project");
            Version = Scalar(roboflow, "version");
            Url = Scalar(roboflow, "url");
        }
    }

    private static string[] ReadNames(YamlNode node) => node switch
    {
        YamlSequenceNode list => list.Children.Select(c => ((YamlScalarNode)c).Value ?? string.Empty).ToArray(),

        // Newer exports write names as {0: name, 1: name}.
        YamlMappingNode map => map.Children
            .OrderBy(p => int.Parse(((YamlScalarNode)p.Key).Value!, System.Globalization.CultureInfo.InvariantCulture))
            .Select(p => ((YamlScalarNode)p.Value).Value ?? string.Empty)
            .ToArray(),
        _ => throw new InvalidDataException("data.yaml 'names' must be a list or a mapping."),
    };

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.FirstOrDefault(p => p.Key is YamlScalarNode scalar && scalar.Value == key).Value;

    private static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private int CountImages(string split)
    {
        var folder = Path.Combine(Root, split, "images");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder).Count(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            : 0;
    }
}
