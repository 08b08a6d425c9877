using FaceMesh.Imaging;

namespace FaceMesh.Training.Data;

/// <summary>One aligned crop of one identity.</summary>
public sealed record FaceCrop(string Path, int Label, string Identity);

/// <summary>
/// Aligned crops in one folder per identity (<c>facemesh align</c>'s output). The identities are split by
/// name order: the last <c>heldOut</c> ones are kept for evaluation, so training never sees a held-out person.
/// Crops are decoded once and kept in memory (37 KB each at 112×112).
/// </summary>
public sealed class FaceFolder
{
    private readonly Dictionary<string, RgbImage> _pixels = new(StringComparer.Ordinal);

    public FaceFolder(string root, int heldOut, IReadOnlyCollection<string>? excludedSubjects = null)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"The training data folder '{root}' does not exist. Make it with: facemesh align PHOTOS_DIR {root}");
        // An identity is a folder with at least one crop (a person whose photos all lacked a face has none).
        var identities = Directory.GetDirectories(root).Where(d => Directory.EnumerateFiles(d).Any(IsCrop))
            .Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        if (identities.Length - heldOut < 2)
            throw new ArgumentException($"'{root}' has {identities.Length} identities; holding out {heldOut} leaves fewer than 2 to train on.");
        TrainIdentities = identities[..^heldOut]!;
        HeldOutIdentities = identities[^heldOut..]!;
        Root = root;
        var excluded = excludedSubjects ?? [];
        Train = TrainIdentities.SelectMany((identity, label) => CropsOf(identity).Where(file => !IsOfSubjects(file, excluded))
            .Select(file => new FaceCrop(file, label, identity))).ToArray();
        if (excluded.Count > 0 && Train.Count == TrainIdentities.Sum(identity => CropsOf(identity).Count))
            throw new ArgumentException($"No crop in '{root}' belongs to the subjects held out ({string.Join(", ", excludedSubjects!)}): " +
                                        "liveness crops are named SUBJECT_FRAME.png (facemesh liveness-crops).");
    }

    /// <summary>A class's crops of the given subjects (a liveness split: crops named <c>SUBJECT_FRAME.png</c>).</summary>
    public IReadOnlyList<string> CropsOf(string identity, IReadOnlyCollection<string> subjects) =>
        CropsOf(identity).Where(file => IsOfSubjects(file, subjects)).ToArray();

    private static bool IsOfSubjects(string file, IEnumerable<string> subjects) =>
        subjects.Any(s => System.IO.Path.GetFileName(file).StartsWith(s + "_", StringComparison.Ordinal));

    private static bool IsCrop(string file) =>
        file.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase);

    /// <summary>An identity's crop files in name order (training or held out).</summary>
    public IReadOnlyList<string> CropsOf(string identity) =>
        Directory.GetFiles(System.IO.Path.Combine(Root, identity)).Where(IsCrop).Order(StringComparer.Ordinal).ToArray();

    public string Root { get; }
    public IReadOnlyList<string> TrainIdentities { get; }
    public IReadOnlyList<string> HeldOutIdentities { get; }
    public IReadOnlyList<FaceCrop> Train { get; }

    /// <summary>The crop's pixels (decoded on first use, then kept).</summary>
    public RgbImage Pixels(string path)
    {
        lock (_pixels)
        {
            if (!_pixels.TryGetValue(path, out var image))
            {
                image = ImageDecoder.Decode(File.ReadAllBytes(path));
                if (image.Width != 112 || image.Height != 112)
                    throw new InvalidDataException($"{path} is {image.Width}x{image.Height}; the trainer takes 112x112 aligned crops (facemesh align).");
                _pixels[path] = image;
            }
            return image;
        }
    }
}
