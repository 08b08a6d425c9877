using FaceMesh.Evaluation;
using FaceMesh.Matching.Clustering;
using Xunit;
using static FaceMesh.UnitTests.TestVectors;

namespace FaceMesh.UnitTests;

internal static class TestVectors
{
    public static float[] Normalised(float[] v)
    {
        float n = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / n).ToArray();
    }
}

public sealed class ClusteringMetricsTests
{
    [Fact]
    public void Pairwise_and_BCubed_scores_match_the_hand_computed_values()
    {
        // Groups {0,1} {2,3,4}; people {0,1,2} {3,4}. Pairs together: 1 + 3, same person: 3 + 1, both: 1 + 1.
        var s = ClusteringMetrics.Score([0, 0, 1, 1, 1], [0, 0, 0, 1, 1]);
        Assert.Equal(0.5, s.PairwisePrecision, 12);
        Assert.Equal(0.5, s.PairwiseRecall, 12);
        Assert.Equal(0.5, s.PairwiseF, 12);
        // Per face precision 1, 1, 1/3, 2/3, 2/3; recall 2/3, 2/3, 1/3, 1, 1.
        Assert.Equal(11.0 / 15, s.BCubedPrecision, 12);
        Assert.Equal(11.0 / 15, s.BCubedRecall, 12);
        Assert.Equal(11.0 / 15, s.BCubedF, 12);
        Assert.Equal((2, 2, 0, 0, 5), (s.Clusters, s.Identities, s.Singletons, s.Unassigned, s.Faces));
    }

    [Fact]
    public void An_unassigned_face_is_a_group_of_its_own()
    {
        var s = ClusteringMetrics.Score([FaceClustering.Unassigned, FaceClustering.Unassigned, 0], [0, 0, 1]);
        Assert.Equal(1.0, s.PairwisePrecision); // nothing put together, nothing wrong
        Assert.Equal(0.0, s.PairwiseRecall);
        Assert.Equal(1.0, s.BCubedPrecision);
        Assert.Equal((0.5 + 0.5 + 1) / 3, s.BCubedRecall, 12);
        Assert.Equal((3, 2, 3, 2), (s.Clusters, s.Identities, s.Singletons, s.Unassigned));
    }

    [Fact]
    public void A_perfect_grouping_scores_one_whatever_its_numbers()
    {
        var s = ClusteringMetrics.Score([7, 7, 3, 3, 3], [0, 0, 1, 1, 1]);
        Assert.Equal((1.0, 1.0, 1.0, 1.0), (s.PairwiseF, s.BCubedF, s.BCubedPrecision, s.BCubedRecall));
    }
}

public sealed class FaceClusteringTests
{
    /// <summary><paramref name="people"/> people of <paramref name="each"/> unit vectors around their own random
    /// direction (cosine to it about 0.9), people about orthogonal to each other.</summary>
    private static (float[][] Vectors, int[] Truth) People(int people, int each, int seed = 3, int dimension = 128)
    {
        var random = new Random(seed);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        float[] Gaussian() => Enumerable.Range(0, dimension).Select(_ => Normal()).ToArray();
        var vectors = new List<float[]>();
        var truth = new List<int>();
        for (int p = 0; p < people; p++)
        {
            var centre = Normalised(Gaussian());
            for (int i = 0; i < each; i++)
            {
                var noise = Normalised(Gaussian());
                vectors.Add(Normalised(centre.Zip(noise, (c, e) => c + 0.45f * e).ToArray()));
                truth.Add(p);
            }
        }
        return (vectors.ToArray(), truth.ToArray());
    }

    private static readonly ClusteringOptions Options = new() { EdgeThreshold = 0.6f, LinkageThreshold = 0.6f, K = 10, MinQuality = 0 };

    [Fact]
    public void The_graph_holds_each_faces_nearest_others_best_first()
    {
        var (vectors, _) = People(4, 8);
        var graph = KnnGraph.Build(vectors, 5, int8: true);
        for (int a = 0; a < vectors.Length; a++)
        {
            var exact = Enumerable.Range(0, vectors.Length).Where(b => b != a)
                .Select(b => (Face: b, Score: vectors[a].Zip(vectors[b], (x, y) => x * y).Sum()))
                .OrderByDescending(x => x.Score).Take(5).ToArray();
            Assert.Equal(exact.Select(x => x.Face), graph.Neighbours[a].Select(x => x.Face));
            Assert.All(exact.Zip(graph.Neighbours[a]), p => Assert.Equal(p.First.Score, p.Second.Score, 4));
        }
    }

    [Theory]
    [InlineData(ClusteringMethod.RankOrder)]
    [InlineData(ClusteringMethod.MutualKnn)]
    [InlineData(ClusteringMethod.ChineseWhispers)]
    [InlineData(ClusteringMethod.AverageLinkage)]
    [InlineData(ClusteringMethod.DensityRule)]
    public void Well_separated_people_are_found_exactly(ClusteringMethod method)
    {
        var (vectors, truth) = People(5, 8);
        var labels = FaceClustering.Cluster(KnnGraph.Build(vectors, 10), Options with { Method = method });
        var s = ClusteringMetrics.Score(labels, truth);
        Assert.Equal(1.0, s.BCubedF, 12);
        Assert.Equal(5, s.Clusters);
    }

    [Fact]
    public void The_density_rule_leaves_a_pair_alone_where_the_graph_methods_group_it()
    {
        var (people, _) = People(3, 8);
        var (pair, _) = People(1, 2, seed: 11);
        var vectors = people.Concat(pair).ToArray();
        var graph = KnnGraph.Build(vectors, 10);
        var density = FaceClustering.Cluster(graph, Options with { Method = ClusteringMethod.DensityRule });
        var rank = FaceClustering.Cluster(graph, Options with { Method = ClusteringMethod.RankOrder });
        Assert.Equal([FaceClustering.Unassigned, FaceClustering.Unassigned], density[^2..]);
        Assert.Equal(rank[^2], rank[^1]);
        Assert.NotEqual(FaceClustering.Unassigned, rank[^1]);
    }

    [Theory]
    [InlineData(ClusteringMethod.RankOrder)]
    [InlineData(ClusteringMethod.MutualKnn)]
    [InlineData(ClusteringMethod.ChineseWhispers)]
    [InlineData(ClusteringMethod.AverageLinkage)]
    public void A_cannot_link_keeps_two_faces_of_one_group_apart(ClusteringMethod method)
    {
        var (vectors, _) = People(2, 8);
        var graph = KnnGraph.Build(vectors, 10);
        var options = Options with { Method = method };
        Assert.Equal(FaceClustering.Cluster(graph, options)[0], FaceClustering.Cluster(graph, options)[1]);
        var labels = FaceClustering.Cluster(graph, options, constraints: new ClusterConstraints { CannotLinks = [(0, 1)] });
        Assert.NotEqual(labels[0], labels[1]);
        // The rest of the person stays with one of them, the other person untouched.
        Assert.Single(labels[8..].Distinct());
        Assert.DoesNotContain(labels[8], labels[..8]);
    }

    [Theory]
    [InlineData(ClusteringMethod.RankOrder)]
    [InlineData(ClusteringMethod.ChineseWhispers)]
    [InlineData(ClusteringMethod.AverageLinkage)]
    public void Faces_pinned_to_one_person_stay_together_and_apart_from_another_pin(ClusteringMethod method)
    {
        var (vectors, _) = People(3, 6);
        var graph = KnnGraph.Build(vectors, 10);
        // Face 0 (person A) and face 6 (person B) were moved into "p1" by hand; face 1 (A) into "p2".
        var pins = new ClusterConstraints { Pinned = new Dictionary<int, string> { [0] = "p1", [6] = "p1", [1] = "p2" } };
        var labels = FaceClustering.Cluster(graph, Options with { Method = method }, constraints: pins);
        Assert.Equal(labels[0], labels[6]);
        Assert.NotEqual(labels[0], labels[1]);
    }

    [Fact]
    public void Low_quality_faces_join_a_group_but_never_bridge_two()
    {
        var (vectors, truth) = People(2, 6);
        // A face halfway between the two people, cosine about 0.64 to each: above the threshold to both.
        var bridge = vectors[0].Zip(vectors[6], (a, b) => a + b).ToArray();
        float norm = MathF.Sqrt(bridge.Sum(x => x * x));
        var all = vectors.Append(bridge.Select(x => x / norm).ToArray()).ToArray();
        var graph = KnnGraph.Build(all, 10);
        var quality = Enumerable.Repeat(0.9f, all.Length).ToArray();
        quality[^1] = 0.1f;
        var options = Options with { Method = ClusteringMethod.MutualKnn, EdgeThreshold = 0.55f };
        var ungated = FaceClustering.Cluster(graph, options, quality);
        Assert.Single(ungated.Distinct()); // without the gate the bridge merges both people
        var gated = FaceClustering.Cluster(graph, options with { MinQuality = 0.5f }, quality);
        Assert.Equal(1.0, ClusteringMetrics.Score(gated[..^1], truth).BCubedF, 12);
        Assert.Contains(gated[^1], new[] { gated[0], gated[6] });
    }

    [Fact]
    public void The_edge_threshold_is_the_packs_calibrated_one()
    {
        var far = new Dictionary<string, float> { ["0.001"] = 0.7765f, ["0.0001"] = 0.8358f };
        Assert.Equal(0.8358f, new ClusteringOptions().AtFar(far, "0.0001").EdgeThreshold);
        var e = Assert.Throws<ArgumentException>(() => new ClusteringOptions().AtFar(far, "0.05"));
        Assert.Contains("0.001, 0.0001", e.Message);
    }
}

public sealed class AverageLinkageTests
{
    [Fact]
    public void A_chain_of_single_links_does_not_merge_two_people()
    {
        // Two people and a chain of faces between them, each face near the next: single links join everything,
        // the mean over every pair of faces does not.
        var random = new Random(5);
        var a = Normalised(Enumerable.Range(0, 64).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
        var b = Normalised(Enumerable.Range(0, 64).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
        var chain = Enumerable.Range(0, 11)
            .Select(i => Normalised(a.Zip(b, (x, y) => (1 - i / 10f) * x + i / 10f * y).ToArray())).ToArray();
        var graph = KnnGraph.Build(chain, 4);
        var options = new ClusteringOptions { EdgeThreshold = 0.9f, LinkageThreshold = 0.9f, K = 4, MinQuality = 0 };
        Assert.Single(FaceClustering.Cluster(graph, options with { Method = ClusteringMethod.MutualKnn }).Distinct());
        var linkage = FaceClustering.Cluster(graph, options with { Method = ClusteringMethod.AverageLinkage });
        Assert.NotEqual(linkage[0], linkage[10]);
        Assert.True(linkage.Distinct().Count() >= 2);
    }
}

public sealed class IncrementalClusteringTests
{
    private static readonly ClusteringOptions Options = new() { EdgeThreshold = 0.6f, LinkageThreshold = 0.6f, K = 10, MinQuality = 0.5f };

    /// <summary>Faces around <paramref name="centre"/> at a cosine of about 0.9 to it.</summary>
    private static float[][] FacesOf(float[] centre, int count, Random random) =>
        Enumerable.Range(0, count)
            .Select(_ => Normalised(centre.Zip(
                Normalised(Enumerable.Range(0, centre.Length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()),
                (c, e) => c + 0.45f * e).ToArray()))
            .ToArray();

    private static float[] Direction(Random random) =>
        Normalised(Enumerable.Range(0, 128).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());

    [Fact]
    public void A_face_joins_its_persons_group_as_it_arrives_or_starts_one()
    {
        var random = new Random(21);
        var (a, b, c) = (Direction(random), Direction(random), Direction(random));
        var clustering = new IncrementalClustering(128, Options);
        var first = clustering.Add([.. FacesOf(a, 6, random), .. FacesOf(b, 6, random)]);
        Assert.Single(first[..6].Distinct());
        Assert.Single(first[6..].Distinct());
        Assert.NotEqual(first[0], first[6]);

        // Later: one more of a's, a good photo of a new person c, and a poor photo of c, which waits.
        var later = clustering.Add([FacesOf(a, 1, random)[0], FacesOf(c, 1, random)[0], FacesOf(c, 1, random)[0]], [0.9f, 0.9f, 0.2f]);
        Assert.Equal(first[0], later[0]);
        Assert.DoesNotContain(later[1], first);
        Assert.Equal(later[1], later[2]); // a poor face may join a group; it only may not start one
        var d = Direction(random);
        var poor = clustering.Add([FacesOf(d, 1, random)[0]], [0.2f]);
        Assert.Equal(FaceClustering.Unassigned, poor[0]);
        Assert.Equal((3, 1), (clustering.GroupCount, clustering.WaitingCount));

        // The first good photo of that person arrives: the waiting face joins its group.
        var good = clustering.Add([FacesOf(d, 1, random)[0]], [0.9f]);
        Assert.Equal(good[0], clustering.Groups[clustering.Count - 2]);
        Assert.Equal((4, 0), (clustering.GroupCount, clustering.WaitingCount));
    }

    [Fact]
    public void Faces_added_with_their_groups_and_moved_keep_the_group_sums_exact()
    {
        var random = new Random(23);
        var (a, b) = (Direction(random), Direction(random));
        var faces = FacesOf(a, 4, random).Concat(FacesOf(b, 4, random)).ToArray();
        var grouped = new IncrementalClustering(128, Options);
        grouped.AddGrouped(faces, Enumerable.Repeat(0.9f, 8).ToArray(), [0, 0, 0, 0, 5, 5, 5, FaceClustering.Unassigned]);
        Assert.Equal((2, 1, 4, 3), (grouped.GroupCount, grouped.WaitingCount, grouped.SizeOf(0), grouped.SizeOf(5)));
        // A new face of b joins group 5 by the group's mean, computed from the sums AddGrouped built; the waiting face of b
        // (a good one) is tried again after the batch and joins it too.
        Assert.Equal(5, grouped.Add([FacesOf(b, 1, random)[0]])[0]);
        Assert.Equal((5, 0), (grouped.SizeOf(5), grouped.WaitingCount));
        grouped.MoveTo(0, 5);
        grouped.MoveTo(1, grouped.NewGroup());
        Assert.Equal((2, 6, 3), (grouped.SizeOf(0), grouped.SizeOf(5), grouped.GroupCount));
        grouped.MoveTo(2, FaceClustering.Unassigned);
        Assert.Equal((1, 1), (grouped.SizeOf(0), grouped.WaitingCount));
    }

    [Fact]
    public void Waiting_faces_are_tried_again_a_bounded_number_at_a_time_in_turn()
    {
        var random = new Random(24);
        var clustering = new IncrementalClustering(128, Options with { MaxWaitingRetried = 2 });
        var d = Direction(random);
        // Five poor faces of one person wait; no good face of them has come.
        clustering.Add(FacesOf(d, 5, random), Enumerable.Repeat(0.2f, 5).ToArray());
        Assert.Equal(5, clustering.WaitingCount);
        // The person's good photo comes: that batch tries 2 of the waiting faces, the next batch 2 more, then the last.
        clustering.Add([FacesOf(d, 1, random)[0]], [0.9f]);
        Assert.Equal(3, clustering.WaitingCount);
        clustering.Add([Direction(random)], [0.9f]);
        Assert.Equal(1, clustering.WaitingCount);
        clustering.Add([Direction(random)], [0.9f]);
        Assert.Equal(0, clustering.WaitingCount);
    }

    [Fact]
    public void Clustering_again_gives_what_clustering_at_once_gives_and_keeps_a_cannot_link()
    {
        var random = new Random(22);
        var faces = new List<float[]>();
        for (int p = 0; p < 4; p++)
            faces.AddRange(FacesOf(Direction(random), 7, random));
        var clustering = new IncrementalClustering(128, Options);
        foreach (var chunk in faces.Chunk(5))
            clustering.Add(chunk);
        clustering.Recluster();
        var atOnce = FaceClustering.Cluster(KnnGraph.Build(faces, Options.K), Options);
        Assert.Equal(atOnce, clustering.Groups);
        Assert.Equal(4, clustering.GroupCount);

        clustering.Recluster(new ClusterConstraints { CannotLinks = [(0, 1)] });
        Assert.NotEqual(clustering.Groups[0], clustering.Groups[1]);
        Assert.Equal(5, clustering.GroupCount);
    }
}
