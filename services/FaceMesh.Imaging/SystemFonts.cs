namespace FaceMesh.Imaging;

/// <summary>
/// A TrueType font for labels on pictures. Skia's self-contained Linux build has no fontconfig, so
/// it cannot find fonts by name: the file is looked up directly (DejaVu Sans on Debian).
/// </summary>
public static class SystemFonts
{
    private static readonly Lazy<string?> Sans = new(() =>
    {
        const string fonts = "/usr/share/fonts";
        if (!Directory.Exists(fonts))
            return null;
        var files = Directory.EnumerateFiles(fonts, "*.ttf", SearchOption.AllDirectories).ToArray();
        return files.FirstOrDefault(f => Path.GetFileName(f) == "DejaVuSans.ttf")
            ?? files.FirstOrDefault(f => Path.GetFileName(f).Contains("Sans", StringComparison.Ordinal))
            ?? files.FirstOrDefault();
    });

    /// <summary>The path of a sans-serif TTF file, or null when the machine has none.</summary>
    public static string? SansFile => Sans.Value;
}
