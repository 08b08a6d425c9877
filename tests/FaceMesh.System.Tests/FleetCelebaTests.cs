using FaceMesh.Client;
using FaceMesh.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.SystemTests;

/// <summary>
/// 1:N through the fleet on celeba-dev: ten subjects enrolled with their first photo, their next two
/// photos identified, and ten strangers (subjects never enrolled) who must not be matched at FAR 1e-3.
/// </summary>
public sealed class FleetCelebaTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    private static Image Photo(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };

    private static string[] PhotosOf(string subject) =>
        Directory.GetFiles(Path.Combine(TestPaths.CelebaDev, subject)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Enrolled_celebrities_are_identified_and_strangers_are_not_matched()
    {
        var subjects = Directory.GetDirectories(TestPaths.CelebaDev).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        var enrolled = subjects.Take(10).ToArray();
        var strangers = subjects.TakeLast(10).ToArray();
        foreach (var subject in enrolled)
        {
            var photo = new EnrollPhoto { Image = Photo(PhotosOf(subject!)[0]) };
            var faces = (await fleet.Client.DetectAsync(new DetectRequest { Image = photo.Image })).Faces;
            if (faces.Count > 1)
                photo.FaceIndex = faces.LargestFace();
            await fleet.Client.EnrollAsync(new EnrollRequest { Gallery = "celebrities", SubjectId = subject, Photos = { photo } }, deadline: DateTime.UtcNow.AddSeconds(60));
        }

        int probes = 0, correct = 0;
        foreach (var subject in enrolled)
            foreach (var path in PhotosOf(subject!).Skip(1).Take(2))
            {
                var answer = await fleet.Client.IdentifyAsync(new IdentifyRequest { Gallery = "celebrities", Image = Photo(path), TopK = 3 }, deadline: DateTime.UtcNow.AddSeconds(60));
                probes++;
                if (answer.Faces.Any(f => f.Match && f.Candidates[0].SubjectId == subject))
                    correct++;
            }
        int falseMatches = 0;
        foreach (var stranger in strangers)
        {
            var answer = await fleet.Client.IdentifyAsync(new IdentifyRequest { Gallery = "celebrities", Image = Photo(PhotosOf(stranger!)[0]) }, deadline: DateTime.UtcNow.AddSeconds(60));
            falseMatches += answer.Faces.Count(f => f.Match);
        }
        Console.WriteLine($"celeba through the fleet: {correct}/{probes} probes named, {falseMatches} stranger matches");
        Assert.Equal(20, probes);
        Assert.True(correct >= 16, $"{correct} of {probes} probes named correctly");
        Assert.Equal(0, falseMatches);
    }

    [Fact]
    public async Task An_overfull_embedder_answers_resource_exhausted_through_the_gateway()
    {
        // A second Embedder with room for one crop at a time, and a Gateway in front of it; 48 concurrent
        // Verify calls overlap in the Embedder, so some find it full: they fail with RESOURCE_EXHAUSTED
        // (not retried by the Gateway: the caller decides), the rest succeed, nothing else happens.
        await using var tiny = await LoopbackService.Start(Embedder.EmbedderHost.Build, $"--Embedder:Pack={TestPaths.DefaultPack}",
                                                           "--Embedder:MaxBatchSize=2", "--Embedder:QueueCapacity=2");
        await using var gateway = await LoopbackService.Start(Gateway.GatewayHost.Build, LoopbackFleet.Anonymous, $"--Gateway:DetectorAddress={fleet.Detector.GrpcAddress}",
            $"--Gateway:EmbedderAddress={tiny.GrpcAddress}", $"--Gateway:MatcherAddress={fleet.Matcher.GrpcAddress}");
        var client = new FaceMeshApi.FaceMeshApiClient(gateway.Channel);
        var probe = Photo(TestPaths.Example("obama-240p.jpg"));
        var reference = Photo(TestPaths.Example("obama2.jpg"));
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 48).Select(async _ =>
        {
            try
            {
                await client.VerifyAsync(new VerifyRequest { Probe = probe, ReferenceImage = reference }, deadline: DateTime.UtcNow.AddSeconds(120));
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                Assert.Contains("queue is full", e.Status.Detail);
                return e.StatusCode;
            }
        }));
        Assert.All(outcomes, o => Assert.True(o is StatusCode.OK or StatusCode.ResourceExhausted, $"{o}"));
        Assert.Contains(StatusCode.ResourceExhausted, outcomes);
        Assert.Contains(StatusCode.OK, outcomes);
    }
}
