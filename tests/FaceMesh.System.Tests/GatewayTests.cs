using FaceMesh.Client;
using System.Net;
using System.Text;
using System.Text.Json;
using FaceMesh.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.SystemTests;

/// <summary>
/// The public API through the whole fleet: four services on their own loopback ports, called with
/// Grpc.Net.Client (and once as JSON over HTTP). Includes the README's walk-through: enroll
/// knn_examples/train, identify the photos of knn_examples/test.
/// </summary>
public sealed class GatewayTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    private static readonly string KnnExamples = Path.Combine(TestPaths.Datasets, "examples", "knn_examples");

    private static Image Photo(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };

    /// <summary>Enrolls a folder per person, as a client does: where a photo shows several faces, the largest is named.</summary>
    private async Task EnrollTrainingFolder(string gallery)
    {
        foreach (var dir in Directory.GetDirectories(Path.Combine(KnnExamples, "train")))
        {
            var request = new EnrollRequest { Gallery = gallery, SubjectId = Path.GetFileName(dir) };
            foreach (var path in Directory.GetFiles(dir))
            {
                var photo = new EnrollPhoto { Image = Photo(path) };
                var faces = (await fleet.Client.DetectAsync(new DetectRequest { Image = photo.Image })).Faces;
                if (faces.Count > 1)
                    photo.FaceIndex = faces.LargestFace();
                request.Photos.Add(photo);
            }
            var response = await fleet.Client.EnrollAsync(request, deadline: DateTime.UtcNow.AddSeconds(60));
            Assert.Equal(request.Photos.Count, response.Faces.Count);
            Assert.Equal(FaceMesh.ModelPacks.ModelPack.Load(TestPaths.DefaultPack).Manifest.ModelId, response.ModelId);
        }
    }

    [Theory]
    [InlineData("obama1.jpg", new[] { "obama" })]
    [InlineData("obama_and_biden.jpg", new[] { "biden", "obama" })]
    [InlineData("kit_with_rose.jpg", new[] { "kit_harington", "rose_leslie" })]
    [InlineData("johnsnow_test1.jpg", new[] { "kit_harington" })]
    [InlineData("alex_lacamoire1.jpg", new[] { "alex_lacamoire" })]
    public async Task Walkthrough_identify_names_every_known_face(string photo, string[] expected)
    {
        var gallery = "walkthrough-" + Path.GetFileNameWithoutExtension(photo);
        await EnrollTrainingFolder(gallery);
        var response = await fleet.Client.IdentifyAsync(new IdentifyRequest { Gallery = gallery, Image = Photo(Path.Combine(KnnExamples, "test", photo)) },
                                                         deadline: DateTime.UtcNow.AddSeconds(60));
        var named = response.Faces.Where(f => f.Match).Select(f => f.Candidates[0].SubjectId).Order().ToArray();
        Assert.Equal(expected, named);
        Assert.Equal(0.001, response.Far);
        Assert.True(response.Threshold > 0);
    }

    [Fact]
    public async Task Verify_photo_against_photo_and_against_an_enrolled_subject()
    {
        var same = await fleet.Client.VerifyAsync(new VerifyRequest { Probe = Photo(TestPaths.Example("obama.jpg")), ReferenceImage = Photo(TestPaths.Example("obama2.jpg")) });
        Assert.True(same.Match, $"score {same.Score}");
        Assert.Equal(0.001, same.Far);
        Assert.NotNull(same.ProbeFace);
        Assert.Null(same.ProbeFace.Crop); // the public API returns no pixels
        var different = await fleet.Client.VerifyAsync(new VerifyRequest { Probe = Photo(TestPaths.Example("obama.jpg")), ReferenceImage = Photo(TestPaths.Example("biden.jpg")), Far = 0.01 });
        Assert.False(different.Match, $"score {different.Score}");
        Assert.Equal(0.01, different.Far);

        await EnrollTrainingFolder("verify");
        var subject = await fleet.Client.VerifyAsync(new VerifyRequest
        {
            Probe = Photo(TestPaths.Example("obama-720p.jpg")), ReferenceSubject = new EnrolledSubject { Gallery = "verify", SubjectId = "obama" },
        });
        Assert.True(subject.Match, $"score {subject.Score}");
        Assert.NotEmpty(subject.ReferenceFaceId);
    }

    [Fact]
    public async Task Subjects_are_listed_read_and_deleted()
    {
        await EnrollTrainingFolder("admin");
        var galleries = await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest());
        Assert.Contains(galleries.Galleries, g => g.Name == "admin" && g.Subjects == 5);
        var page = await fleet.Client.ListSubjectsAsync(new ListSubjectsRequest { Gallery = "admin", PageSize = 3 });
        Assert.Equal(3, page.Subjects.Count);
        var subject = await fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "admin", SubjectId = "biden" });
        Assert.Equal(2, subject.FaceIds.Count);
        var deleted = await fleet.Client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = "admin", SubjectId = "biden" });
        Assert.Equal(2, deleted.DeletedFaces);
        var gone = await Assert.ThrowsAsync<RpcException>(async () => await fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "admin", SubjectId = "biden" }));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Every_error_path_has_its_status_and_a_message()
    {
        var client = fleet.Client;
        async Task<RpcException> Fails(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

        var badImage = await Fails(async () => await client.DetectAsync(new DetectRequest { Image = new Image { Content = ByteString.CopyFromUtf8("not a photo") } }));
        Assert.Equal(StatusCode.InvalidArgument, badImage.StatusCode);
        Assert.Contains("not an image", badImage.Status.Detail);

        var unknownGallery = await Fails(async () => await client.IdentifyAsync(new IdentifyRequest { Gallery = "nobody-enrolled-here", Image = Photo(TestPaths.Example("biden.jpg")) }));
        Assert.Equal(StatusCode.NotFound, unknownGallery.StatusCode);

        var multiFace = await Fails(async () => await client.EnrollAsync(new EnrollRequest
        { Gallery = "errors", SubjectId = "two", Photos = { new EnrollPhoto { Image = Photo(TestPaths.Example("two_people.jpg")) } } }));
        Assert.Equal(StatusCode.FailedPrecondition, multiFace.StatusCode);
        Assert.Contains("shows 2 faces", multiFace.Status.Detail);

        var chosen = await client.EnrollAsync(new EnrollRequest
        { Gallery = "errors", SubjectId = "one-of-two", Photos = { new EnrollPhoto { Image = Photo(TestPaths.Example("two_people.jpg")), FaceIndex = 1 } } });
        Assert.Single(chosen.Faces);

        var unknownFar = await Fails(async () => await client.VerifyAsync(new VerifyRequest { Probe = Photo(TestPaths.Example("obama.jpg")), ReferenceImage = Photo(TestPaths.Example("obama2.jpg")), Far = 0.05 }));
        Assert.Equal(StatusCode.InvalidArgument, unknownFar.StatusCode);
        Assert.Contains("not calibrated", unknownFar.Status.Detail);

        var late = await Fails(async () => await client.IdentifyAsync(new IdentifyRequest { Gallery = "errors", Image = Photo(TestPaths.Example("obama-1080p.jpg")) },
                                                                      deadline: DateTime.UtcNow.AddMilliseconds(1)));
        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);
    }

    [Fact]
    public async Task Detect_is_served_as_json_over_http_too()
    {
        var body = JsonSerializer.Serialize(new { image = new { content = Convert.ToBase64String(File.ReadAllBytes(TestPaths.Example("two_people.jpg"))) } });
        using var response = await fleet.Gateway.Http.PostAsync("/v1/detect", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, json.RootElement.GetProperty("faces").GetArrayLength());
        Assert.Equal(1126, json.RootElement.GetProperty("imageWidth").GetInt32());
    }

    [Fact]
    public async Task Sixty_four_concurrent_verify_calls_all_succeed()
    {
        var probe = Photo(TestPaths.Example("obama-240p.jpg"));
        var reference = Photo(TestPaths.Example("obama2.jpg"));
        var calls = Enumerable.Range(0, 64).Select(_ => fleet.Client.VerifyAsync(
            new VerifyRequest { Probe = probe, ReferenceImage = reference }, deadline: DateTime.UtcNow.AddSeconds(120)).ResponseAsync);
        var results = await Task.WhenAll(calls);
        Assert.All(results, r => Assert.True(r.Match, $"score {r.Score}"));

        // The Embedder saw them in shared batches: its /metrics has batches of more than one crop.
        var metrics = await fleet.Embedder.Http.GetStringAsync("/metrics");
        double atMostTwo = PrometheusText.Sample(metrics, "facemesh_embedder_batch_size_bucket", "le=\"2\"");
        double all = PrometheusText.Sample(metrics, "facemesh_embedder_batch_size_count");
        Assert.True(atMostTwo < all, $"every one of {all} batches held at most 2 crops (one Verify with flip)");
    }
}
