using System.Diagnostics;

namespace FaceMesh.Testing;

/// <summary>
/// Variants of a real photo in the formats the decoder must read (CMYK JPEG, GIF, BMP, 16-bit and
/// grey PNG, EXIF-rotated JPEG), made with ImageMagick, which the test command installs.
/// </summary>
public static class ImageFixtures
{
    private const string ImageMagick = "/usr/bin/convert-im6.q16";
    private static readonly string Directory_ = TestPaths.NewTempDirectory();

    public static string Make(string source, string name, params string[] arguments)
    {
        if (!File.Exists(ImageMagick))
            throw new InvalidOperationException($"{ImageMagick} is missing: run the README's test command, which installs imagemagick.");
        var target = Path.Combine(Directory_, name);
        var start = new ProcessStartInfo(ImageMagick) { RedirectStandardError = true };
        start.ArgumentList.Add(source);
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        start.ArgumentList.Add(target);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ImageMagick failed to make {name}: {error}");
        return target;
    }
}
