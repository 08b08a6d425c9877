using System.Collections.Concurrent;
using System.Net;
using FaceMesh.Contracts.V1;
using FaceMesh.Embedder;
using FaceMesh.Pipeline.Embedding;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Face = FaceMesh.Pipeline.Face;

namespace FaceMesh.Service.Tests;

/// <summary>The Embedder service on real Kestrel sockets on loopback, called with Grpc.Net.Client.</summary>
[Collection(PipelineCollection.Name)]
public sealed class EmbedderServiceTests(PipelineFixture fixture)
{
    private static Task<LoopbackService> Start(params string[] settings) =>
        LoopbackService.Start(EmbedderHost.Build, [$"--Embedder:Pack={TestPaths.DefaultPack}", .. settings]);

    private static EmbedderService.EmbedderServiceClient Client(LoopbackService service) => new(service.Channel);

    /// <summary>Real faces with every crop the pack's embedders take (the default pack: the 112-px ArcFace crop and dlib's 150-px
    /// chip).</summary>
    private Face[] RealFaces() =>
        new[] { "obama.jpg", "biden.jpg", "two_people.jpg" }
            .SelectMany(p => fixture.Pipeline.Detect(PipelineFixture.Load(TestPaths.Example(p))))
            .ToArray();

    private static FaceCrops Message(Face face) =>
        new() { Crops = { face.AlignedCrops.Select(c => new AlignedCrop { Width = c.Width, Height = c.Height, Rgb = ByteString.CopyFrom(c.Pixels) }) } };

    [Fact]
    public async Task Embed_over_grpc_returns_the_pipelines_vectors_and_the_model_id()
    {
        await using var embedder = await Start();
        var faces = RealFaces();
        Assert.Equal(2, faces[0].AlignedCrops.Count);
        var request = new EmbedRequest { Flip = true };
        request.Faces.Add(faces.Select(Message));
        var response = await Client(embedder).EmbedAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.Equal(faces.Length, response.Embeddings.Count);
        for (int i = 0; i < faces.Length; i++)
        {
            var direct = fixture.Pipeline.Embedder.EmbedFaces([faces[i].AlignedCrops], flip: true)[0];
            Assert.Equal(1.0, CosineSimilarity.Of(direct, response.Embeddings[i].Values.ToArray()), 4);
            Assert.Equal(fixture.Pipeline.ModelId, response.Embeddings[i].ModelId);
        }
    }

    [Fact]
    public async Task Sixty_four_concurrent_calls_all_succeed_in_shared_batches()
    {
        await using var embedder = await Start("--Embedder:MaxQueueDelayMs=10");
        var batches = new ConcurrentBag<BatchCompleted>();
        embedder.App.Services.GetRequiredService<EmbedderModel>().Batcher.BatchCompleted += batches.Add;
        var faces = RealFaces().Select(Message).ToArray();
        var client = Client(embedder);
        var calls = Enumerable.Range(0, 64).Select(async i =>
        {
            var request = new EmbedRequest();
            request.Faces.Add(faces[i % faces.Length]);
            return (await client.EmbedAsync(request, deadline: DateTime.UtcNow.AddSeconds(60))).Embeddings.Single();
        });
        var results = await Task.WhenAll(calls);
        Assert.All(results, e => Assert.Equal(512 + 128, e.Values.Count));
        Assert.Equal(64, batches.Sum(b => b.Crops));
        Assert.True(batches.Max(b => b.Crops) > 1, $"batch sizes: {string.Join(", ", batches.Select(b => b.Crops))}");

        // The Embedder reports it too: on /metrics, fewer batches in the "1 crop" bucket than batches in all.
        var metrics = await embedder.Http.GetStringAsync("/metrics");
        double single = PrometheusText.Sample(metrics, "facemesh_embedder_batch_size_bucket", "le=\"1\"");
        double all = PrometheusText.Sample(metrics, "facemesh_embedder_batch_size_count");
        Assert.True(all >= batches.Count && single < all, $"batches of one crop {single} of {all}");
        Assert.Contains("facemesh_embedder_execution_provider", metrics);
    }

    [Fact]
    public async Task Model_info_health_readiness_and_metrics_are_served()
    {
        await using var embedder = await Start();
        var model = await Client(embedder).GetModelAsync(new GetModelRequest());
        Assert.Equal(fixture.Pipeline.ModelId, model.ModelId);
        Assert.StartsWith("fused:faceplugin-mfn512-0.0.1*", model.ModelId);
        Assert.Equal(512 + 128, model.Dimension);
        Assert.Equal("cpu", model.ExecutionProvider);
        Assert.Equal([0.01, 0.001, 0.0001, 0.00001], model.Thresholds.Select(t => t.Far).ToArray());

        var health = await new Health.HealthClient(embedder.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Equal("ok", await embedder.Http.GetStringAsync("/healthz"));
        Assert.Equal(HttpStatusCode.OK, (await embedder.Http.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await embedder.Http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task A_malformed_crop_is_invalid_argument_saying_what_was_wrong()
    {
        await using var embedder = await Start();
        var request = new EmbedRequest();
        request.Crops.Add(new AlignedCrop { Width = 112, Height = 112, Rgb = ByteString.CopyFrom(new byte[100]) });
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client(embedder).EmbedAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("declares 112x112 but carries 100 bytes", e.Status.Detail);

        var wrongSize = new EmbedRequest();
        wrongSize.Faces.Add(new FaceCrops
        {
            Crops = { new AlignedCrop { Width = 112, Height = 112, Rgb = ByteString.CopyFrom(new byte[112 * 112 * 3]) },
                                                      new AlignedCrop { Width = 64, Height = 64, Rgb = ByteString.CopyFrom(new byte[64 * 64 * 3]) } }
        });
        e = await Assert.ThrowsAsync<RpcException>(async () => await Client(embedder).EmbedAsync(wrongSize));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("150x150 aligned crops as crop 1 of a face, not 64x64", e.Status.Detail);

        // A fused pack needs every crop of a face: one crop alone is refused, naming the crops it takes.
        var oneCrop = new EmbedRequest();
        oneCrop.Crops.Add(Message(RealFaces()[0]).Crops[0]);
        e = await Assert.ThrowsAsync<RpcException>(async () => await Client(embedder).EmbedAsync(oneCrop));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("takes 2 per face", e.Status.Detail);
        Assert.Contains("dlib chip 150x150", e.Status.Detail);
    }

    [Fact]
    public async Task Cuda_requested_without_a_gpu_falls_back_to_the_cpu_and_serves()
    {
        // This machine has no GPU: the CUDA provider cannot load, and the service must still serve.
        await using var embedder = await Start("--Embedder:Provider=Cuda");
        var model = await Client(embedder).GetModelAsync(new GetModelRequest());
        Assert.Equal("cpu", model.ExecutionProvider);
        var request = new EmbedRequest();
        request.Faces.Add(Message(RealFaces()[0]));
        Assert.Single((await Client(embedder).EmbedAsync(request)).Embeddings);
    }
}
