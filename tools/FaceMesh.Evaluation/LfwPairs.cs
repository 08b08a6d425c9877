using System.Globalization;

namespace FaceMesh.Evaluation;

/// <summary>One pair of the LFW View-2 protocol: two photo paths and whether they show the same person.</summary>
public sealed record LabelledPair(int Fold, string First, string Second, bool Same);

/// <summary>
/// The LFW View-2 <c>pairs.txt</c> format: a header line "folds&lt;TAB&gt;n", then per fold n same-person
/// lines <c>name i j</c> followed by n different-person lines <c>name1 i name2 j</c>. Photos are
/// <c>ROOT/name/name_NNNN.jpg</c> (Huang et al., "Labeled Faces in the Wild", UMass TR 07-49, 2007).
/// </summary>
public static class LfwPairs
{
    public static IReadOnlyList<LabelledPair> Read(string pairsFile, string root)
    {
        if (!File.Exists(pairsFile))
            throw new FileNotFoundException($"The pairs file '{pairsFile}' does not exist.");
        var lines = File.ReadAllLines(pairsFile).Where(l => l.Trim().Length > 0).ToArray();
        var header = Split(lines[0]);
        if (header.Length != 2 || !int.TryParse(header[0], out int folds) || !int.TryParse(header[1], out int perFold))
            throw new FormatException($"'{pairsFile}' line 1: expected 'folds<TAB>pairs per fold', found '{lines[0]}'.");
        if (lines.Length - 1 != folds * perFold * 2)
            throw new FormatException($"'{pairsFile}' declares {folds} folds of {perFold}+{perFold} pairs but has {lines.Length - 1} pair lines.");
        var pairs = new List<LabelledPair>(folds * perFold * 2);
        for (int n = 1; n < lines.Length; n++)
        {
            var f = Split(lines[n]);
            int fold = (n - 1) / (2 * perFold);
            pairs.Add(f.Length switch
            {
                3 => new LabelledPair(fold, PhotoPath(root, f[0], f[1]), PhotoPath(root, f[0], f[2]), true),
                4 => new LabelledPair(fold, PhotoPath(root, f[0], f[1]), PhotoPath(root, f[2], f[3]), false),
                _ => throw new FormatException($"'{pairsFile}' line {n + 1}: expected 3 or 4 fields, found {f.Length}."),
            });
        }
        return pairs;
    }

    public static string PhotoPath(string root, string name, string index) =>
        Path.Combine(root, name, $"{name}_{int.Parse(index, CultureInfo.InvariantCulture):D4}.jpg");

    private static string[] Split(string line) => line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
}
