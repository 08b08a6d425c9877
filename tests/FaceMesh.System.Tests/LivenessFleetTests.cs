using FaceMesh.Contracts.V1;
using FaceMesh.Detector;
using FaceMesh.Gateway;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.SystemTests;

/// <summary>
/// Liveness through the fleet: a Detector with the LivenessNet baseline pack (Detector:LivenessPack) behind its own
/// Gateway, the fixture's Embedder and Matcher. The two pad-dev frames are ones the baseline decides right (a live
/// frame it scores 0.75, an attack it scores 0.004): these tests check that the decision reaches Detect, Verify and
/// Enroll, not how good the model is. Its error rates are measured by `facemesh eval liveness` (BPCER 71 % on pad-dev).
/// </summary>
public sealed class LivenessFleetTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    private static readonly string PadDev = Path.Combine(TestPaths.Datasets, "pad-dev");
    private static readonly string LiveFrame = Path.Combine(PadDev, "real", "0008", "0008_00_00_02_38.jpg");
    private static readonly string OtherLiveFrame = Path.Combine(PadDev, "real", "0008", "0008_00_00_02_93.jpg");
    private static readonly string AttackFrame = Path.Combine(PadDev, "spoof", "0003", "0003_01_00_01_10.jpg");

    private static Image Photo(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };

    private async Task<(LoopbackService Detector, LoopbackService Gateway)> StartWithLiveness()
    {
        var detector = await LoopbackService.Start(DetectorHost.Build, $"--Detector:Pack={TestPaths.DefaultPack}",
            $"--Detector:LivenessPack={Path.Combine(TestPaths.Packs, "liveness-livenessnet")}");
        var gateway = await LoopbackService.Start(GatewayHost.Build, LoopbackFleet.Anonymous,
            $"--Gateway:DetectorAddress={detector.GrpcAddress}", $"--Gateway:EmbedderAddress={fleet.Embedder.GrpcAddress}",
            $"--Gateway:MatcherAddress={fleet.Matcher.GrpcAddress}");
        return (detector, gateway);
    }

    [Fact]
    public async Task Require_live_refuses_a_printed_photo_and_accepts_a_live_face_in_verify_and_enroll()
    {
        var (detector, gateway) = await StartWithLiveness();
        try
        {
            var client = new FaceMeshApi.FaceMeshApiClient(gateway.Channel);
            var deadline = DateTime.UtcNow.AddSeconds(60);

            // Detect reports the score and decision of every face.
            var live = (await client.DetectAsync(new DetectRequest { Image = Photo(LiveFrame) }, deadline: deadline)).Faces[0].Liveness;
            var attack = (await client.DetectAsync(new DetectRequest { Image = Photo(AttackFrame) }, deadline: deadline)).Faces[0].Liveness;
            Assert.Equal((true, false), (live.Live, attack.Live));
            Assert.Equal(("livenessnet-human-models-3.0.4", 0.5f), (live.ModelId, live.Threshold));
            Assert.InRange(live.Score, 0.5f, 1f);
            Assert.InRange(attack.Score, 0f, 0.5f);

            // Verify: the printed photo is refused as a probe, the live face is compared.
            var refused = await Assert.ThrowsAsync<RpcException>(() => client.VerifyAsync(new VerifyRequest
            {
                Probe = Photo(AttackFrame), ReferenceImage = Photo(OtherLiveFrame), RequireLive = true,
            }, deadline: deadline).ResponseAsync);
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
            Assert.Contains("not judged live", refused.Status.Detail);
            Assert.Contains("printed photo", refused.Status.Detail);
            var verified = await client.VerifyAsync(new VerifyRequest
            {
                Probe = Photo(LiveFrame), ReferenceImage = Photo(OtherLiveFrame), RequireLive = true,
            }, deadline: deadline);
            Assert.True(verified.Match, $"score {verified.Score}");
            // Without require_live the printed photo is compared as any photo (off unless asked for).
            await client.VerifyAsync(new VerifyRequest { Probe = Photo(AttackFrame), ReferenceImage = Photo(OtherLiveFrame) },
                deadline: deadline);

            // Enroll: nothing is enrolled from a printed photo.
            var notEnrolled = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(new EnrollRequest
            {
                Gallery = "liveness", SubjectId = "s0003", RequireLive = true, Photos = { new EnrollPhoto { Image = Photo(AttackFrame) } },
            }, deadline: deadline).ResponseAsync);
            Assert.Equal(StatusCode.FailedPrecondition, notEnrolled.StatusCode);
            Assert.Contains("photos[0]", notEnrolled.Status.Detail);
            var absent = await Assert.ThrowsAsync<RpcException>(() =>
                client.GetSubjectAsync(new GetSubjectRequest { Gallery = "liveness", SubjectId = "s0003" }).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, absent.StatusCode);
            var enrolled = await client.EnrollAsync(new EnrollRequest
            {
                Gallery = "liveness", SubjectId = "s0008", RequireLive = true, Photos = { new EnrollPhoto { Image = Photo(LiveFrame) } },
            }, deadline: deadline);
            Assert.Single(enrolled.Faces);

            // The decisions are counted on the Detector's /metrics.
            var metrics = await detector.Http.GetStringAsync("/metrics");
            Assert.True(PrometheusText.Sum(metrics, "facemesh_detector_liveness_decisions_total", "decision=\"attack\"") >= 3);
            Assert.True(PrometheusText.Sum(metrics, "facemesh_detector_liveness_decisions_total", "decision=\"live\"") >= 3);
        }
        finally
        {
            await gateway.DisposeAsync();
            await detector.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_a_liveness_pack_faces_carry_no_liveness_and_require_live_is_refused_with_the_fix()
    {
        var face = (await fleet.Client.DetectAsync(new DetectRequest { Image = Photo(LiveFrame) })).Faces[0];
        Assert.Null(face.Liveness);
        var e = await Assert.ThrowsAsync<RpcException>(() => fleet.Client.VerifyAsync(new VerifyRequest
        {
            Probe = Photo(LiveFrame), ReferenceImage = Photo(OtherLiveFrame), RequireLive = true,
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("Detector:LivenessPack", e.Status.Detail);
    }
}
