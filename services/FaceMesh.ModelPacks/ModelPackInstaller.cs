using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using FaceMesh.ModelPacks.FaceApi;
using FaceMesh.ModelPacks.Onnx;
using FaceMesh.ModelPacks.TensorFlowJs;

namespace FaceMesh.ModelPacks;

/// <summary>
/// Fills a pack folder with the files its manifest names: each registry package is fetched once with
/// <c>npm pack NAME@VERSION</c> into a cache inside the packs folder, the named files are extracted,
/// every SHA-256 is checked, and derived files are written: the dynamic-batch copy of an ONNX model, TensorFlow.js
/// graph models converted to ONNX, dlib's ResNet rebuilt from face-api's weights. A derived file's SHA-256 is in the
/// manifest too, so a converter that changed its output is noticed.
/// </summary>
public sealed class ModelPackInstaller(string cacheDirectory, Action<string>? log = null)
{
    private readonly Action<string> _log = log ?? (_ => { });

    /// <summary>Installs every pack below <paramref name="packsRoot"/> (each folder with a manifest).</summary>
    public IReadOnlyList<ModelPack> InstallAll(string packsRoot) =>
        System.IO.Directory.GetDirectories(packsRoot)
            .Where(d => File.Exists(Path.Combine(d, ModelPack.ManifestFileName)))
            .Order(StringComparer.Ordinal)
            .Select(Install)
            .ToList();

    public ModelPack Install(string packDirectory)
    {
        var manifest = ModelPack.ReadManifest(packDirectory);
        foreach (var file in manifest.Files)
        {
            var target = Path.Combine(packDirectory, file.Name);
            if (File.Exists(target) && Sha256File.Compute(target) == file.Sha256)
                continue;
            var tarball = FetchPackage(file.Package, file.Version);
            _log($"{manifest.Name}: extracting {file.Name} from {file.Package}@{file.Version}");
            ExtractEntry(tarball, file.PathInPackage, target);
            Sha256File.Verify(target, file.Sha256);
        }
        foreach (var trained in manifest.Trained)
        {
            var target = Path.Combine(packDirectory, trained.Name);
            if (!File.Exists(target))
                throw new ModelFileException($"{manifest.Name}: '{trained.Name}' was made by training ({trained.Source}) and no registry holds it; copy the whole pack folder, or train it again.");
            Sha256File.Verify(target, trained.Sha256);
        }
        foreach (var derived in manifest.Derived)
        {
            var target = Path.Combine(packDirectory, derived.Name);
            if (File.Exists(target) && Sha256File.Compute(target) == derived.Sha256)
                continue;
            _log($"{manifest.Name}: writing {derived.Name} ({derived.Transform} copy of {derived.From})");
            switch (derived.Transform)
            {
                case DerivedTransform.DynamicBatch:
                    BatchDimension.MakeDynamic(Path.Combine(packDirectory, derived.From), target);
                    break;
                case DerivedTransform.TfjsGraph:
                    var graph = TfGraphRepairs.Apply(TfjsGraphModel.Load(Path.Combine(packDirectory, derived.From)), derived.Repairs);
                    TfToOnnx.Write(TfToOnnx.Convert(graph, new TfjsImportOptions { Outputs = derived.Outputs, AnySpatialSize = derived.AnySize }), target);
                    break;
                case DerivedTransform.UltraLightAnySize:
                    AnySizeDetector.Cut(Path.Combine(packDirectory, derived.From), target);
                    break;
                case DerivedTransform.FaceApiDlib:
                    TfToOnnx.Write(TfToOnnx.Convert(DlibResNet.Load(Path.Combine(packDirectory, derived.From))), target);
                    break;
                default:
                    throw new ModelFileException($"Unknown derived-file transform '{derived.Transform}' in {manifest.Name}.");
            }
            Sha256File.Verify(target, derived.Sha256);
        }
        _log($"{manifest.Name}: all {manifest.Files.Count + manifest.Derived.Count + manifest.Trained.Count} files present, SHA-256 verified");
        return ModelPack.Load(packDirectory);
    }

    private string FetchPackage(string package, string version)
    {
        System.IO.Directory.CreateDirectory(cacheDirectory);
        // npm names the tarball after the package: "@scope/name" becomes "scope-name-VERSION.tgz".
        var tarball = Path.Combine(cacheDirectory, $"{package.TrimStart('@').Replace('/', '-')}-{version}.tgz");
        if (File.Exists(tarball))
            return tarball;
        _log($"fetching {package}@{version} from the npm registry");
        var npm = new ProcessStartInfo("npm")
        {
            ArgumentList = { "pack", $"{package}@{version}", "--pack-destination", cacheDirectory,
                             "--cache", Path.Combine(cacheDirectory, "npm"), "--silent" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(npm) ?? throw new ModelFileException("npm could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ModelFileException($"npm is needed to fetch model packages and could not be run ({e.Message}). Install Node.js and npm.");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 || !File.Exists(tarball))
                throw new ModelFileException(
                    $"'npm pack {package}@{version}' failed (exit {process.ExitCode}): {stderr.Result.Trim()}");
        }
        return tarball;
    }

    private static void ExtractEntry(string tarball, string pathInPackage, string target)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name != pathInPackage || entry.DataStream is null)
                continue;
            var partial = target + ".partial";
            using (var output = File.Create(partial))
                entry.DataStream.CopyTo(output);
            File.Move(partial, target, overwrite: true);
            return;
        }
        throw new ModelFileException($"'{pathInPackage}' is not in {Path.GetFileName(tarball)}.");
    }
}
