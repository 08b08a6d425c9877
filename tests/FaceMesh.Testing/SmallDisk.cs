namespace FaceMesh.Testing;

/// <summary>
/// A small real filesystem (tmpfs) for full-disk faults: <see cref="Fill"/> writes a file until the disk refuses with
/// ENOSPC, <see cref="Free"/> deletes it. Mounting needs root; <see cref="Mount"/> returns null where it is refused.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    public static SmallDisk? Mount(int megabytes)
    {
        var path = TestPaths.NewTempDirectory();
        var (code, _, _) = TestProcess.Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return code == 0 ? new SmallDisk(path) : null;
    }

    /// <summary>Writes until no byte more fits.</summary>
    public void Fill()
    {
        var block = new byte[64 * 1024];
        using var file = new FileStream(Filler, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        try
        {
            while (true)
                file.Write(block);
        }
        catch (IOException)
        {
        }
        try
        {
            while (true)
                file.Write(block, 0, 1);
        }
        catch (IOException)
        {
        }
    }

    public void Free() => File.Delete(Filler);

    public void Dispose()
    {
        TestProcess.Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
