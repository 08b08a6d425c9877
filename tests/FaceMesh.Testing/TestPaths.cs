namespace FaceMesh.Testing;

/// <summary>Where the repository, the model packs and the shared datasets are: every test project finds them here.</summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Datasets { get; } = Environment.GetEnvironmentVariable("FACEMESH_DATASETS")
        ?? Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "datasets"));

    public static string Packs { get; } = Path.Combine(RepositoryRoot, "deploy", "models");
    public static string DefaultPack { get; } = Path.Combine(Packs, "default");
    public static string BlazeFacePack { get; } = Path.Combine(Packs, "blazeface");
    public static string AccuratePack { get; } = Path.Combine(Packs, "accurate");

    /// <summary>The npm tarballs the model packs were fetched from (tests/run fetches them first).</summary>
    public static string PackageCache { get; } = Path.Combine(Packs, ".cache");

    public static string Example(string name) => Path.Combine(Datasets, "examples", "examples", name);
    public static string CelebaDev => Path.Combine(Datasets, "celeba-dev");
    public static string CfpDev => Path.Combine(Datasets, "cfp-dev");
    public static string WiderDev => Path.Combine(Datasets, "wider-dev");
    public static string PadDev => Path.Combine(Datasets, "pad-dev");

    public static string NewTempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "facemesh-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FaceMesh.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Tests must run inside the FaceMesh repository (FaceMesh.sln not found above the test binaries).");
    }
}
