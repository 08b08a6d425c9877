using System.Security.Cryptography;

namespace FaceMesh.ModelPacks;

public static class Sha256File
{
    public static string Compute(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Throws <see cref="ModelFileException"/> naming the file and both hashes when they differ.</summary>
    public static void Verify(string path, string expected)
    {
        if (!File.Exists(path))
            throw new ModelFileException(
                $"The model file '{path}' is missing. Run 'tools/facemesh models fetch' to fetch the model packs.");
        var actual = Compute(path);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new ModelFileException(
                $"The model file '{path}' has SHA-256 {actual}, but the manifest expects {expected}. " +
                "It was refused; delete it and run 'tools/facemesh models fetch' to fetch it again.");
    }
}
