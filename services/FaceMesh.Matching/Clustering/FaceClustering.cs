using System.Numerics.Tensors;

namespace FaceMesh.Matching.Clustering;

/// <summary>
/// Groups faces into people from their <see cref="KnnGraph"/>. The result is a group number per face
/// (0, 1, … in order of each group's first face), or <see cref="Unassigned"/> for a face that waits: below the
/// quality gate with no grouped face near enough, or (density rule) never near enough to a core face.
/// Corrections (<see cref="ClusterConstraints"/>) hold in every method but the density rule, which is the baseline
/// as photo libraries run it.
/// </summary>
public static class FaceClustering
{
    public const int Unassigned = -1;

    /// <param name="quality">Each face's overall quality, for <see cref="ClusteringOptions.MinQuality"/> (null: all pass).</param>
    public static int[] Cluster(KnnGraph graph, ClusteringOptions options, IReadOnlyList<float>? quality = null,
                                ClusterConstraints? constraints = null)
    {
        constraints ??= ClusterConstraints.None;
        var good = new bool[graph.Count];
        for (int i = 0; i < good.Length; i++)
            good[i] = quality is null || quality[i] >= options.MinQuality || constraints.Pinned.ContainsKey(i);
        var labels = options.Method switch
        {
            ClusteringMethod.DensityRule => DensityRule(graph, options, good),
            ClusteringMethod.ChineseWhispers => ChineseWhispers(graph, options, good, constraints),
            ClusteringMethod.AverageLinkage => AverageLinkage(graph, options, good, constraints),
            _ => Linked(graph, options, good, constraints),
        };
        AttachWaiting(graph, options, good, labels, constraints);
        return Renumbered(labels);
    }

    /// <summary>The links of the rank-order and mutual-kNN methods, strongest first, merged as long as the
    /// corrections allow.</summary>
    private static int[] Linked(KnnGraph graph, ClusteringOptions options, bool[] good, ClusterConstraints constraints)
    {
        var links = new List<(int A, int B, float Score)>();
        var member = NeighbourSets(graph);
        for (int a = 0; a < graph.Count; a++)
        {
            if (!good[a])
                continue;
            foreach (var (b, score) in graph.Neighbours[a])
            {
                if (b <= a && member[b].Contains(a) || !good[b] || score < options.EdgeThreshold)
                    continue; // a pair found from both sides is judged once, from its lower index
                bool linked = options.Method switch
                {
                    ClusteringMethod.MutualKnn => member[b].Contains(a),
                    _ => RankOrderDistance(graph, member, a, b) < options.RankOrderThreshold,
                };
                if (linked)
                    links.Add((Math.Min(a, b), Math.Max(a, b), score));
            }
        }
        var groups = new ConstrainedGroups(graph.Count, constraints);
        foreach (var (a, b, _) in links.OrderByDescending(l => l.Score).ThenBy(l => l.A).ThenBy(l => l.B))
            groups.TryMerge(a, b);
        var labels = new int[graph.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = good[i] ? groups.Find(i) : Unassigned;
        return labels;
    }

    /// <summary>
    /// Sparse average linkage: the candidate pairs of groups are those joined by a kNN link above the edge threshold;
    /// in rounds, the pairs whose mean cosine (ΣA·ΣB / (|A|·|B|), every pair of faces, from the groups' sums)
    /// reaches the linkage threshold merge, best first, each checked again after the merges before it, until a
    /// round merges nothing.
    /// </summary>
    private static int[] AverageLinkage(KnnGraph graph, ClusteringOptions options, bool[] good, ClusterConstraints constraints)
    {
        var vector = graph.Vector;
        int n = graph.Count;
        var sums = new float[n][];
        var sizes = new int[n];
        var groups = new ConstrainedGroups(n, constraints);
        for (int i = 0; i < n; i++)
        {
            int root = groups.Find(i);
            var v = vector(i);
            sums[root] ??= new float[v.Length];
            TensorPrimitives.Add(sums[root], v, sums[root]);
            sizes[root]++;
        }
        var links = new List<(int A, int B)>();
        for (int a = 0; a < n; a++)
            foreach (var (b, score) in graph.Neighbours[a])
                if (good[a] && good[b] && score >= options.EdgeThreshold)
                    links.Add((a, b));
        float Mean(int ra, int rb) => TensorPrimitives.Dot(sums[ra], sums[rb]) / ((float)sizes[ra] * sizes[rb]);
        for (bool merged = true; merged;)
        {
            merged = false;
            var candidates = links.Select(l => (A: groups.Find(l.A), B: groups.Find(l.B))).Where(p => p.A != p.B)
                .Select(p => p.A < p.B ? p : (A: p.B, B: p.A)).Distinct()
                .Select(p => (p.A, p.B, Mean: Mean(p.A, p.B))).Where(p => p.Mean >= options.LinkageThreshold)
                .OrderByDescending(p => p.Mean).ThenBy(p => p.A).ThenBy(p => p.B).ToArray();
            foreach (var (a, b, _) in candidates)
            {
                int ra = groups.Find(a), rb = groups.Find(b);
                if (ra == rb || Mean(ra, rb) < options.LinkageThreshold || !groups.TryMerge(ra, rb))
                    continue;
                int root = groups.Find(ra), other = root == ra ? rb : ra;
                TensorPrimitives.Add(sums[root], sums[other], sums[root]);
                sizes[root] += sizes[other];
                merged = true;
            }
        }
        var labels = new int[n];
        for (int i = 0; i < n; i++)
            labels[i] = good[i] ? groups.Find(i) : Unassigned;
        return labels;
    }

    private static HashSet<int>[] NeighbourSets(KnnGraph graph) =>
        graph.Neighbours.Select(n => n.Select(x => x.Face).ToHashSet()).ToArray();

    /// <summary>
    /// Otto et al.'s approximate rank-order distance: d(a, b) counts the faces among a's nearest, up to b's place
    /// in a's list, that are not among b's nearest; D(a, b) = (d(a, b) + d(b, a)) / min(place of b in a's list,
    /// place of a in b's). A face is its own first neighbour (place 0); a face missing from a list is at place k.
    /// </summary>
    internal static float RankOrderDistance(KnnGraph graph, HashSet<int>[] member, int a, int b)
    {
        int ab = Place(graph.Neighbours[a], b, graph.K), ba = Place(graph.Neighbours[b], a, graph.K);
        float d = Asymmetric(graph.Neighbours[a], a, member[b], b, ab) + Asymmetric(graph.Neighbours[b], b, member[a], a, ba);
        return d / Math.Max(1, Math.Min(ab, ba));
    }

    private static int Place((int Face, float Score)[] list, int face, int k)
    {
        for (int i = 0; i < list.Length; i++)
            if (list[i].Face == face)
                return i + 1;
        return k;
    }

    private static int Asymmetric((int Face, float Score)[] list, int self, HashSet<int> other, int otherSelf, int upTo)
    {
        int missing = 0;
        for (int i = 0; i <= upTo && i <= list.Length; i++)
        {
            int face = i == 0 ? self : list[i - 1].Face;
            if (face != otherSelf && !other.Contains(face))
                missing++;
        }
        return missing;
    }

    /// <summary>Chinese whispers: each face takes the label its neighbours weigh most, in a fixed shuffled order,
    /// until nothing changes; corrections checked before each change.</summary>
    private static int[] ChineseWhispers(KnnGraph graph, ClusteringOptions options, bool[] good, ClusterConstraints constraints)
    {
        int n = graph.Count;
        var edges = new List<(int Face, float Weight)>[n];
        for (int i = 0; i < n; i++)
            edges[i] = [];
        for (int a = 0; a < n; a++)
            foreach (var (b, score) in graph.Neighbours[a])
                if (good[a] && good[b] && score >= options.EdgeThreshold)
                {
                    edges[a].Add((b, score));
                    edges[b].Add((a, score));
                }
        var labels = Enumerable.Range(0, n).ToArray();
        // Pinned faces start with their person's label (the first such face's index).
        var pinLabel = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (face, person) in constraints.Pinned.OrderBy(p => p.Key))
            labels[face] = pinLabel.TryGetValue(person, out int l) ? l : pinLabel[person] = face;
        var cannot = constraints.CannotLinksByFace(n);
        var order = Enumerable.Range(0, n).ToArray();
        new Random(17).Shuffle(order);
        var weight = new Dictionary<int, float>();
        for (int round = 0; round < options.Iterations; round++)
        {
            bool changed = false;
            foreach (int i in order)
            {
                if (!good[i] || edges[i].Count == 0 || constraints.Pinned.ContainsKey(i))
                    continue;
                weight.Clear();
                foreach (var (j, w) in edges[i])
                    weight[labels[j]] = weight.GetValueOrDefault(labels[j]) + w;
                int best = labels[i];
                float bestWeight = weight.GetValueOrDefault(best);
                foreach (var (label, w) in weight)
                    if (w > bestWeight || w == bestWeight && label < best)
                        if (cannot[i] is not { } apart || apart.All(o => labels[o] != label))
                            (best, bestWeight) = (label, w);
                if (best != labels[i])
                {
                    labels[i] = best;
                    changed = true;
                }
            }
            if (!changed)
                break;
        }
        for (int i = 0; i < n; i++)
            if (!good[i])
                labels[i] = Unassigned;
        return labels;
    }

    /// <summary>The density rule as Immich runs it: faces in order; a face with <c>MinFaces − 1</c> others above the
    /// threshold is a core face, takes the person of its nearest such face that has one, or starts a person; the
    /// other faces wait for a second pass, where they join the nearest face above the threshold that has a person.</summary>
    private static int[] DensityRule(KnnGraph graph, ClusteringOptions options, bool[] good)
    {
        var labels = Enumerable.Repeat(Unassigned, graph.Count).ToArray();
        var deferred = new List<int>();
        int next = 0;
        for (int i = 0; i < graph.Count; i++)
        {
            if (!good[i])
                continue;
            var near = graph.Neighbours[i].Where(x => good[x.Face] && x.Score >= options.EdgeThreshold)
                .Take(options.MinFaces - 1).ToArray();
            if (near.Length + 1 < options.MinFaces)
            {
                deferred.Add(i);
                continue;
            }
            int person = NearestWithPerson(graph, options, labels, i, good);
            labels[i] = person != Unassigned ? person : next++;
        }
        foreach (int i in deferred)
            labels[i] = NearestWithPerson(graph, options, labels, i, good);
        return labels;
    }

    private static int NearestWithPerson(KnnGraph graph, ClusteringOptions options, int[] labels, int face, bool[] good)
    {
        foreach (var (j, score) in graph.Neighbours[face])
        {
            if (score < options.EdgeThreshold)
                break;
            if (good[j] && labels[j] != Unassigned)
                return labels[j];
        }
        return Unassigned;
    }

    /// <summary>Faces below the quality gate join the group of their nearest grouped face above the threshold,
    /// unless a cannot-link forbids it.</summary>
    private static void AttachWaiting(KnnGraph graph, ClusteringOptions options, bool[] good, int[] labels, ClusterConstraints constraints)
    {
        var cannot = constraints.CannotLinksByFace(graph.Count);
        for (int i = 0; i < graph.Count; i++)
        {
            if (good[i])
                continue;
            foreach (var (j, score) in graph.Neighbours[i])
            {
                if (score < options.EdgeThreshold)
                    break;
                if (good[j] && labels[j] != Unassigned && (cannot[i] is not { } apart || apart.All(o => labels[o] != labels[j])))
                {
                    labels[i] = labels[j];
                    break;
                }
            }
        }
    }

    /// <summary>Group numbers 0, 1, … in order of each group's first face; unassigned stays unassigned.</summary>
    private static int[] Renumbered(int[] labels)
    {
        var map = new Dictionary<int, int>();
        var result = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
            result[i] = labels[i] == Unassigned ? Unassigned : map.TryGetValue(labels[i], out int m) ? m : map[labels[i]] = map.Count;
        return result;
    }
}
