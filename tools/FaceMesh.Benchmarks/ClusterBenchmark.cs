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

    /// <summary>Through the Matcher (<see cref="Matcher.People.PeopleBook"/> and an in-memory embedded store): photos of
    /// <see cref="FacesPerPhoto"/> faces, a regrouping, then the added faces one photo each.</summary>
    public sealed record ServiceRow(int Faces, double AddAllSeconds, double RegroupSeconds, int Added, double AddSeconds,
                                    double PhotoMedianMs, double PhotoP95Ms, double BytesPerFace, long People);

    private const int FacesPerPhoto = 8;

    private sealed record Faces(List<float[]> Vectors, List<int> Truth, int[] First, int[] Later, int RealCount, ClusteringOptions Options);

    private Faces Make(int size, int added)
    {
        var pack = ModelPack.Load(Path.Combine(root, "deploy", "models", "default"));
        var options = new ClusteringOptions().AtFar(pack.Manifest.Thresholds.Far, "0.001");
        var (real, realTruth) = RealFaces(pack);
        var random = new Random(size);
        var vectors = new List<float[]>(real);
        var truth = new List<int>(realTruth);
        int person = realTruth.Max() + 1;
        while (vectors.Count < size + added)
        {
            var centre = SearchBenchmark.RandomUnit(random, real[0].Length);
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
        return new Faces(vectors, truth, order.Take(size).ToArray(), order.Skip(size).ToArray(), real.Count, options);
    }

    public ServiceRow RunService(int size, int added)
    {
        var (vectors, _, first, later, _, options) = Make(size, added);
        long before = Memory();
        var store = new Matching.Embedded.EmbeddedVectorStore(new Matching.Embedded.EmbeddedStoreOptions { Int8Scan = true }, _ => { });
        var book = new Matcher.People.PeopleBook(store, Microsoft.Extensions.Options.Options.Create(new Matcher.MatcherOptions
        {
            People = new() { RegroupAfterFaces = int.MaxValue },
        }), Microsoft.Extensions.Logging.Abstractions.NullLogger<Matcher.People.PeopleBook>.Instance);
        var gallery = new Contracts.V1.GalleryRef { Tenant = "bench", Gallery = "people" };
        Contracts.V1.PeopleChange Photo(IEnumerable<int> faces)
        {
            var add = new Contracts.V1.AddPeopleFaces
            {
                EdgeThreshold = options.EdgeThreshold,
                LinkageThreshold = options.LinkageThreshold
            };
            add.Faces.Add(faces.Select(f => new Contracts.V1.PeopleFace
            {
                FaceId = $"f{f}", PhotoId = $"photo-{f / FacesPerPhoto}", Quality = 0.9f, Box = new Contracts.V1.Box
                {
                    Width = 100,
                    Height = 100
                },
                Embedding = new Contracts.V1.Embedding { ModelId = "bench", Values = { vectors[f] } },
            }));
            return new Contracts.V1.PeopleChange { Gallery = gallery, ChangeId = Guid.NewGuid().ToString("N"), Add = add };
        }
        var clock = Stopwatch.StartNew();
        int done = 0;
        foreach (var photo in first.Chunk(FacesPerPhoto))
        {
            book.ApplyAsync(Photo(photo), default).GetAwaiter().GetResult();
            if ((done += photo.Length) % 10_000 < FacesPerPhoto)
                AnsiConsole.MarkupLine($"  added {done:N0} of {first.Length:N0} faces through the Matcher's people");
        }
        double addAll = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var regrouped = book.ApplyAsync(new Contracts.V1.PeopleChange { Gallery = gallery, Regroup = new() },
            default).GetAwaiter().GetResult();
        double regroup = clock.Elapsed.TotalSeconds;
        double bytes = (Memory() - before) / (double)size;
        var photoMs = new List<double>();
        clock.Restart();
        foreach (int face in later)
        {
            long start = Stopwatch.GetTimestamp();
            book.ApplyAsync(Photo([face]), default).GetAwaiter().GetResult();
            photoMs.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        double add = clock.Elapsed.TotalSeconds;
        photoMs.Sort();
        return new ServiceRow(size, addAll, regroup, later.Length, add, photoMs[photoMs.Count / 2], photoMs[(int)(photoMs.Count * 0.95)],
            bytes, regrouped.Regrouped.People);
    }

    public Row Run(int size, int added)
    {
        var (vectors, truth, first, later, realCount, options) = Make(size, added);
        var order = first.Concat(later).ToArray();
        long before = Memory();
        var clustering = new IncrementalClustering(vectors[0].Length, options);
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
            Score(i => i < realCount), Score(i => i >= realCount));
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
