using System.Collections.Concurrent;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Embedding;

namespace FaceMesh.Service.Tests;

[Collection(PipelineCollection.Name)]
public sealed class EmbeddingBatcherTests(PipelineFixture fixture)
{
    /// <summary>Real faces, each with every crop the default pack's embedders take.</summary>
    private IReadOnlyList<IReadOnlyList<RgbImage>> RealFaces() =>
        new[] { "obama.jpg", "biden.jpg", "obama2.jpg", "two_people.jpg" }
            .SelectMany(p => fixture.Pipeline.Detect(PipelineFixture.Load(TestPaths.Example(p))))
            .Select(f => f.AlignedCrops).ToArray();

    [Fact]
    public async Task Concurrent_requests_are_gathered_into_batches_and_get_their_own_vectors()
    {
        var faces = RealFaces();
        var batches = new ConcurrentBag<BatchCompleted>();
        await using var batcher = new EmbeddingBatcher(fixture.Pipeline.Embedder, new BatchingOptions { MaxBatchSize = 16, MaxQueueDelay = TimeSpan.FromMilliseconds(20) });
        batcher.BatchCompleted += batches.Add;

        var requests = Enumerable.Range(0, 32).Select(i => faces[i % faces.Count]).ToArray();
        var results = await Task.WhenAll(requests.Select(face => Task.Run(() => batcher.EmbedFacesAsync([face], flip: false))));

        Assert.Equal(32, batches.Sum(b => b.Crops));
        Assert.True(batches.Max(b => b.Crops) > 1, $"batch sizes: {string.Join(", ", batches.Select(b => b.Crops))}");
        Assert.All(batches, b => Assert.InRange(b.Crops, 1, 16));
        for (int i = 0; i < requests.Length; i++)
        {
            var direct = fixture.Pipeline.Embedder.EmbedFaces([requests[i]])[0];
            Assert.Equal(1.0, CosineSimilarity.Of(direct, results[i][0]), 4);
        }
        Assert.Equal(0, batcher.Pending);
    }

    [Fact]
    public async Task Flip_requests_count_twice_and_match_the_embedder()
    {
        var faces = RealFaces();
        await using var batcher = new EmbeddingBatcher(fixture.Pipeline.Embedder, new BatchingOptions { MaxBatchSize = 4 });
        var batches = new ConcurrentBag<BatchCompleted>();
        batcher.BatchCompleted += batches.Add;
        var vectors = await batcher.EmbedFacesAsync(faces, flip: true);
        Assert.All(batches, b => Assert.InRange(b.Crops, 2, 4));
        for (int i = 0; i < faces.Count; i++)
            Assert.Equal(1.0, CosineSimilarity.Of(fixture.Pipeline.Embedder.EmbedFaces([faces[i]], flip: true)[0], vectors[i]), 4);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_as_busy_and_loses_nothing_admitted()
    {
        var face = RealFaces()[0];
        await using var batcher = new EmbeddingBatcher(fixture.Pipeline.Embedder, new BatchingOptions { MaxBatchSize = 8, QueueCapacity = 8 });
        var admitted = batcher.EmbedFacesAsync(Enumerable.Repeat(face, 8).ToArray(), flip: true);
        var e = await Assert.ThrowsAsync<EmbedderBusyException>(() => batcher.EmbedFacesAsync([face], flip: false));
        Assert.Contains("queue is full (8 crops", e.Message);
        Assert.Equal(8, (await admitted).Length);
        Assert.Equal(0, batcher.Pending);
        Assert.Single(await batcher.EmbedFacesAsync([face], flip: false)); // room again
    }

    [Fact]
    public async Task A_crop_of_the_wrong_size_is_refused_with_the_expected_size()
    {
        await using var batcher = new EmbeddingBatcher(fixture.Pipeline.Embedder, new BatchingOptions());
        var e = await Assert.ThrowsAsync<ArgumentException>(() => batcher.EmbedFacesAsync([[new RgbImage(64, 64), new RgbImage(150, 150)]], flip: false));
        Assert.Contains("takes 112x112 aligned crops as crop 0 of a face, not 64x64", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => batcher.EmbedAsync([new RgbImage(112, 112)], flip: false));
        Assert.Contains("carries 1 aligned crops; this embedder takes 2 per face", e.Message);
    }

    [Fact]
    public void Invalid_options_name_the_setting()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchingOptions { MaxBatchSize = 0 }.Validate());
        Assert.Contains("Embedder:MaxBatchSize", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchingOptions { MaxBatchSize = 32, QueueCapacity = 8 }.Validate());
        Assert.Contains("Embedder:QueueCapacity", e.Message);
    }
}
