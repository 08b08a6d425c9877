namespace FaceMesh.Cli;

/// <summary>
/// Finds model packs: a pack is named (<c>default</c>, <c>blazeface</c>) and looked up in the packs
/// folder, or given as a path. The packs folder is <c>$FACEMESH_MODELS</c>, else the repository's
/// <c>deploy/models</c> found above the program.
/// </summary>
public static class PackLocator
{
    public static string PacksRoot()
    {
        var configured = Environment.GetEnvironmentVariable("FACEMESH_MODELS");
        if (!string.IsNullOrEmpty(configured))
            return Path.GetFullPath(configured);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "deploy", "models");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException("No model packs folder: set FACEMESH_MODELS to the folder that holds the packs (deploy/models in the repository).");
    }

    public static string Resolve(string pack) =>
        Directory.Exists(pack) && File.Exists(Path.Combine(pack, "manifest.json")) ? Path.GetFullPath(pack) : Path.Combine(PacksRoot(), pack);
}
