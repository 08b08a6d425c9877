using System.Collections.Concurrent;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Embedding;

namespace FaceMesh.Pipeline.Tests;

[Collection(PipelineCollection.Name)]
public sealed class EmbeddingBatcherTests(PipelineFixture fixture)
{
    private IReadOnlyList<RgbImage> RealCrops() =>
        new[] { "obama.jpg", "biden.jpg", "obama2.jpg", "two_people.jpg" }
            .SelectMany(p => fixture.Pipeline.Detect(PipelineFixture.Load(TestPaths.Example(p))))
            .Select(f => f.AlignedCrop).ToArray();

    [Fact]
    public async Task Concurrent_requests_are_gathered_into_batches_and_get_their_own_vectors()
    {
        var crops = RealCrops();
        var batches = new ConcurrentBag<BatchCompleted>();
        await using var batcher = new EmbeddingBatcher(fixture.Pipeline.Embedder, new BatchingOptions { MaxBatchSize = 16, MaxQueueDelay = TimeSpan.FromMilliseconds(20) });
        batcher.BatchCompleted += batches.Add;

        var requests = Enumerable.Range(0, 32).Select(i => crops[i % crops.Count]).ToArray();
        var results = await Task.WhenAll(requests.Select(crop => Task.Run(() => batcher.EmbedAsync([crop], flip: false))));

        Assert.Equal(32, batches.Sum(b => b.Crops));
        Assert.True(batches.Max(b => b.Crops) > 1, $"batch sizes: {string.Join(", ", batches.Select(b => b.Crops))}");
        Assert.All(batches, b => Assert.InRange(b.Crops, 1, 16));
        for (int i = 0; i < requests.Length; i++)
        {
            var direct = fixture.Pipeline.Embedder.Embed(requests[i]);
            Assert.Equal(1.0, CosineSimilarity.Of(direct, results[i][0]), 4);
        }
        Assert.Equal(0, batcher.Pending);
    }

    [Fact]
    public async Task Flip_requests_count_twice_and_match_the_embedder()
    {
        var crops = RealCrops();
        await using var batcher = new EmbeddingBatcher(fixture.Pipeline.Embedder, new BatchingOptions { MaxBatchSize = 4 });
        var batches = new ConcurrentBag<BatchCompleted>();
        batcher.BatchCompleted += batches.Add;
        var vectors = await batcher.EmbedAsync(crops, flip: true);
        Assert.All(batches, b => Assert.InRange(b.Crops, 2, 4));
        for (int i = 0; i < crops.Count; i++)
            Assert.Equal(1.0, CosineSimilarity.Of(fixture.Pipeline.Embedder.Embed(crops[i], flip: true), vectors[i]), 4);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_as_busy_and_loses_nothing_admitted()
    {
        var crop = RealCrops()[0];
        await using var batcher = new EmbeddingBatcher(fixture.Pipeline.Embedder, new BatchingOptions { MaxBatchSize = 8, QueueCapacity = 8 });
        var admitted = batcher.EmbedAsync(Enumerable.Repeat(crop, 8).ToArray(), flip: true);
        var e = await Assert.ThrowsAsync<EmbedderBusyException>(() => batcher.EmbedAsync([crop], flip: false));
        Assert.Contains("queue is full (8 crops", e.Message);
        Assert.Equal(8, (await admitted).Length);
        Assert.Equal(0, batcher.Pending);
        Assert.Single(await batcher.EmbedAsync([crop], flip: false)); // room again
    }

    [Fact]
    public async Task A_crop_of_the_wrong_size_is_refused_with_the_expected_size()
    {
        await using var batcher = new EmbeddingBatcher(fixture.Pipeline.Embedder, new BatchingOptions());
        var e = await Assert.ThrowsAsync<ArgumentException>(() => batcher.EmbedAsync([new RgbImage(64, 64)], flip: false));
        Assert.Contains("112x112", e.Message);
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
