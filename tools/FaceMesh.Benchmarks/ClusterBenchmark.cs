using System.Diagnostics;
using FaceMesh.Evaluation;
using FaceMesh.Matching.Clustering;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline;
using Spectre.Console;

namespace FaceMesh.Benchmarks;

/// <summary>
/// People at scale: celeba-dev's real embeddings (the default pack, each photo's primary face) filled up to each size
/// with generated people (20 faces each around a random direction, mean cosine 0.8 between two faces of one person),
/// grouped as they arrive (<see cref="IncrementalClustering.Add"/>), clustered again from scratch
/// (<see cref="IncrementalClustering.Recluster"/>), then <c>added</c> more faces grouped as they arrive. Times, the
/// managed memory per face, and BCubed F of the real faces and of the generated ones against their people.
/// </summary>
public sealed class ClusterBenchmark(string root)
{
    public sealed record Row(int Faces, double AddAllSeconds, double ReclusterSeconds, int Added, double AddSeconds, double BytesPerFace,
                             int Groups, int People, double RealBCubedF, double GeneratedBCubedF);

    private const int FacesPerPerson = 20;

    public Row Run(int size, int added)
    {
        var pack = ModelPack.Load(Path.Combine(root, "deploy", "models", "default"));
        var options = new ClusteringOptions().AtFar(pack.Manifest.Thresholds.Far, "0.001");
        var (real, realTruth) = RealFaces(pack);
        var random = new Random(size);
        var vectors = new List<float[]>(real);
        var truth = new List<int>(realTruth);
        int person = realTruth.Max() + 1;
        var centres = new List<float[]>();
        while (vectors.Count < size + added)
        {
            var centre = SearchBenchmark.RandomUnit(random, real[0].Length);
            centres.Add(centre);
            for (int i = 0; i < FacesPerPerson && vectors.Count < size + added; i++)
            {
                vectors.Add(Face(centre, random));
                truth.Add(person);
            }
            person++;
        }
        // The faces added last: every tenth a new person's, the others more faces of people already there.
        var order = Enumerable.Range(0, size + added).ToArray();
        new Random(7).Shuffle(order.AsSpan(real.Count));
        var first = order.Take(size).ToArray();
        var later = order.Skip(size).ToArray();

        long before = Memory();
        var clustering = new IncrementalClustering(real[0].Length, options);
        var clock = Stopwatch.StartNew();
        ConsoleProgressAdd(clustering, first.Select(i => vectors[i]).ToArray());
        double addAll = clock.Elapsed.TotalSeconds;
        clock.Restart();
        clustering.Recluster();
        double recluster = clock.Elapsed.TotalSeconds;
        double bytes = (Memory() - before) / (double)size;
        clock.Restart();
        clustering.Add(later.Select(i => vectors[i]).ToArray());
        double add = clock.Elapsed.TotalSeconds;

        var groups = clustering.Groups;
        var all = order.Select(i => truth[i]).ToArray();
        double Score(Func<int, bool> which)
        {
            var faces = Enumerable.Range(0, order.Length).Where(f => which(order[f])).ToArray();
            return ClusteringMetrics.Score(faces.Select(f => groups[f]).ToArray(), faces.Select(f => all[f]).ToArray()).BCubedF;
        }
        return new Row(size, addAll, recluster, added, add, bytes, clustering.GroupCount, all.Distinct().Count(),
            Score(i => i < real.Count), Score(i => i >= real.Count));
    }

    private static void ConsoleProgressAdd(IncrementalClustering clustering, float[][] faces)
    {
        const int step = 10_000;
        for (int start = 0; start < faces.Length; start += step)
        {
            clustering.Add(faces[start..Math.Min(faces.Length, start + step)]);
            AnsiConsole.MarkupLine($"  grouped {Math.Min(faces.Length, start + step):N0} of {faces.Length:N0} faces as they arrived");
        }
    }

    private (List<float[]> Vectors, List<int> Truth) RealFaces(ModelPack pack)
    {
        var dataset = Path.Combine(root, "..", "shared", "datasets", "celeba-dev");
        var people = Directory.GetDirectories(dataset).Order(StringComparer.Ordinal).ToArray();
        var photos = people
            .SelectMany((d, label) => Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal).Select(p => (p, label))).ToArray();
        var paths = photos.Select(p => p.p).ToArray();
        var cache = Path.Combine(root, "artifacts", "bench", "celeba-dev-faces.emb");
        var embeddings = PhotoEmbeddings.ComputeCached(cache, pack.Directory, paths, () =>
        {
            AnsiConsole.MarkupLine($"  embedding {paths.Length} celeba-dev photos (once; kept in {Markup.Escape(cache)})");
            using var pipeline = FacePipeline.Open(pack);
            return PhotoEmbeddings.Compute(pipeline, paths);
        });
        var found = photos.Where(p => embeddings[p.p] is not null).ToArray();
        return (found.Select(p => embeddings[p.p]!).ToList(), found.Select(p => p.label).ToList());
    }

    private static float[] Face(float[] centre, Random random)
    {
        // |noise| = 0.5: two faces of one person meet at a cosine of about 1 / (1 + 0.25) = 0.8.
        var noise = SearchBenchmark.RandomUnit(random, centre.Length);
        return Unit(centre.Zip(noise, (c, n) => c + 0.5f * n).ToArray());
    }

    private static float[] Unit(float[] v)
    {
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static long Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }
}
