using FaceMesh.Contracts.V1;
using FaceMesh.Detector;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.Service.Tests;

/// <summary>The Detector service on real sockets: photos in, faces with crops out, bad images refused.</summary>
public sealed class DetectorServiceTests
{
    private static Task<LoopbackService> Start() =>
        LoopbackService.Start(DetectorHost.Build, $"--Detector:Pack={TestPaths.DefaultPack}");

    private static DetectFacesRequest Request(byte[] image, bool crops = true) =>
        new() { Image = new Image { Content = ByteString.CopyFrom(image) }, IncludeCrops = crops };

    [Fact]
    public async Task Two_people_give_two_faces_with_landmarks_quality_and_aligned_crops()
    {
        await using var service = await Start();
        var client = new DetectorService.DetectorServiceClient(service.Channel);
        var response = await client.DetectAsync(Request(File.ReadAllBytes(TestPaths.Example("two_people.jpg"))), deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal((1126, 661), (response.ImageWidth, response.ImageHeight));
        Assert.Equal(2, response.Faces.Count);
        Assert.InRange(response.PrimaryFace, 0, 1);
        Assert.All(response.Faces, f =>
        {
            Assert.Equal(5, f.Landmarks.Points.Count);
            Assert.InRange(f.Quality.Overall, 0.3f, 1f);
            Assert.Equal(112 * 112 * 3, f.Crop.Rgb.Length);
        });
        var withoutCrops = await client.DetectAsync(Request(File.ReadAllBytes(TestPaths.Example("two_people.jpg")), crops: false));
        Assert.All(withoutCrops.Faces, f => Assert.Null(f.Crop));
    }

    [Fact]
    public async Task A_photo_over_MaxDecodePixels_is_decoded_smaller_and_answered_in_its_own_pixels()
    {
        await using var small = await Start();
        await using var limited = await LoopbackService.Start(DetectorHost.Build, $"--Detector:Pack={TestPaths.DefaultPack}", "--Detector:MaxDecodePixels=1000000");
        var original = File.ReadAllBytes(TestPaths.Example("two_people.jpg"));
        var doubled = FaceMesh.Imaging.ImageEncoder.Encode(FaceMesh.Imaging.Resampler.Resize(PipelineFixture.Load(TestPaths.Example("two_people.jpg")), 2252, 1322),
            SkiaSharp.SKEncodedImageFormat.Jpeg, 92); // 3 MP: decoded at 4/8 scale (1126×661), under the 1 MP limit
        var reference = await new DetectorService.DetectorServiceClient(small.Channel).DetectAsync(Request(original, crops: false));
        var large = await new DetectorService.DetectorServiceClient(limited.Channel).DetectAsync(Request(doubled, crops: false));
        Assert.Equal((2252, 1322), (large.ImageWidth, large.ImageHeight));
        Assert.Equal(reference.Faces.Count, large.Faces.Count);
        foreach (var (r, l) in reference.Faces.OrderBy(f => f.Box.Left).Zip(large.Faces.OrderBy(f => f.Box.Left)))
        {
            Assert.InRange(l.Box.Left / r.Box.Left, 1.9f, 2.1f); // in the sent photo's pixels, not the decoded image's
            Assert.InRange(l.Box.Width / r.Box.Width, 1.8f, 2.2f);
            Assert.InRange(l.Landmarks.Points[0].X / r.Landmarks.Points[0].X, 1.9f, 2.1f);
        }
    }

    [Fact]
    public async Task Max_faces_keeps_the_largest_faces_and_landmarks_no_others()
    {
        await using var service = await Start();
        var client = new DetectorService.DetectorServiceClient(service.Channel);
        var photo = File.ReadAllBytes(TestPaths.Example("two_people.jpg"));
        var all = await client.DetectAsync(Request(photo, crops: false));
        var one = await client.DetectAsync(new DetectFacesRequest { Image = new Image { Content = ByteString.CopyFrom(photo) }, MaxFaces = 1 });
        Assert.Equal(2, all.Faces.Count);
        var largest = all.Faces.MaxBy(f => f.Box.Width * f.Box.Height)!;
        Assert.Equal(largest.Box.Left, Assert.Single(one.Faces).Box.Left, 3);
        Assert.Equal(0, one.PrimaryFace);
    }

    [Fact]
    public async Task A_photo_without_a_face_is_a_normal_answer()
    {
        await using var service = await Start();
        var image = PipelineFixture.Load(TestPaths.Example("two_people.jpg"));
        var noFace = Imaging.ImageEncoder.Encode(Imaging.Resampler.Crop(image, 0, 400, image.Width, image.Height - 400));
        var response = await new DetectorService.DetectorServiceClient(service.Channel).DetectAsync(Request(noFace));
        Assert.Empty(response.Faces);
        Assert.Equal(-1, response.PrimaryFace);
    }

    [Fact]
    public async Task A_bad_image_is_invalid_argument_saying_what_was_wrong()
    {
        await using var service = await Start();
        var client = new DetectorService.DetectorServiceClient(service.Channel);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.DetectAsync(Request([])));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("empty (0 bytes)", e.Status.Detail);
        var jpeg = File.ReadAllBytes(TestPaths.Example("obama-480p.jpg"));
        e = await Assert.ThrowsAsync<RpcException>(async () => await client.DetectAsync(Request(jpeg[..(jpeg.Length / 3)])));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("truncated", e.Status.Detail);
    }
}
