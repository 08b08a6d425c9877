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

    /// <summary>
    /// Makes a pairs file in the same format over a folder's identities (one folder per identity, photos
    /// <c>name_NNNN.ext</c>), for people no published pairs file covers, such as the identities a trainer held out.
    /// Identities are dealt to the folds in turn, so the folds are identity-disjoint as in LFW; each fold gets as
    /// many same-person as different-person pairs, drawn with <paramref name="seed"/>, at most <paramref name="perFold"/>
    /// and no more than the poorest fold can supply. Returns the pairs per fold actually written.
    /// </summary>
    public static int Write(string pairsFile, string root, IReadOnlyList<string> identities, int folds = 10, int perFold = 300, int seed = 1)
    {
        if (identities.Count < 2 * folds)
            throw new ArgumentException($"{identities.Count} identities cannot fill {folds} identity-disjoint folds (each needs 2 for different-person pairs).");
        var photos = identities.ToDictionary(name => name, name => Directory.GetFiles(Path.Combine(root, name))
            .Select(file => Path.GetFileNameWithoutExtension(file))
            .Where(stem => stem.StartsWith(name + "_", StringComparison.Ordinal) && int.TryParse(stem[(name.Length + 1)..], out _))
            .Select(stem => int.Parse(stem[(name.Length + 1)..], CultureInfo.InvariantCulture)).Order().ToArray());
        var random = new Random(seed);
        var same = new List<string>[folds];
        var different = new List<string>[folds];
        for (int f = 0; f < folds; f++)
        {
            var members = identities.Where((_, i) => i % folds == f).ToArray();
            same[f] = [.. members.SelectMany(name => Combinations(photos[name]).Select(c => $"{name}\t{c.A}\t{c.B}")).OrderBy(_ => random.Next())];
            different[f] = [.. (from a in members from b in members where string.CompareOrdinal(a, b) < 0
                                from i in photos[a] from j in photos[b] select $"{a}\t{i}\t{b}\t{j}").OrderBy(_ => random.Next())];
        }
        int n = Math.Min(perFold, Enumerable.Range(0, folds).Min(f => Math.Min(same[f].Count, different[f].Count)));
        if (n == 0)
            throw new ArgumentException("A fold has no same-person pair: every identity in it has a single photo.");
        using var writer = new StreamWriter(pairsFile);
        writer.Write($"{folds}\t{n}\n");
        for (int f = 0; f < folds; f++)
        {
            foreach (var line in same[f].Take(n).Concat(different[f].Take(n)))
                writer.Write(line + "\n");
        }
        return n;
    }

    private static IEnumerable<(int A, int B)> Combinations(int[] indices)
    {
        for (int i = 0; i < indices.Length; i++)
            for (int j = i + 1; j < indices.Length; j++)
                yield return (indices[i], indices[j]);
    }

    public static string PhotoPath(string root, string name, string index) =>
        Path.Combine(root, name, $"{name}_{int.Parse(index, CultureInfo.InvariantCulture):D4}.jpg");

    private static string[] Split(string line) => line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
}
