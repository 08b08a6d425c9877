using System.Diagnostics;
using FaceMesh.Contracts.V1;
using Google.Protobuf;

namespace FaceMesh.SystemTests;

/// <summary>
/// A crowd photo through the fleet: every face the crowd mode finds is landmarked, aligned, embedded (the Embedder
/// batches them) and searched, and Identify answers for each one, up to the Detector's limit of 100 faces.
/// </summary>
public sealed class CrowdFleetTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    private static Image Photo(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };

    [Theory]
    [InlineData("7--Cheering/7_Cheering_Cheering_7_29.jpg", false)]                       // 219 labelled faces, mostly under 32 px
    [InlineData("2--Demonstration/2_Demonstration_Protesters_2_46.jpg", false)]           // a few dozen, larger
    [InlineData("2--Demonstration/2_Demonstration_Demonstration_Or_Protest_2_98.jpg", true)] // 289 labelled: more than the limit
    public async Task Identify_in_crowd_mode_answers_for_every_face_the_crowd_mode_detects(string photo, bool beyondTheLimit)
    {
        var client = fleet.Client;
        await client.EnrollAsync(new EnrollRequest { Gallery = "crowd", SubjectId = "obama", Photos = { new EnrollPhoto { Image = Photo(TestPaths.Example("obama.jpg")) } }, WaitUntilSearchable = true });
        var image = Photo(Path.Combine(TestPaths.WiderDev, "images", photo));
        var detected = await client.DetectAsync(new DetectRequest { Image = image, MultiScale = true });
        var single = await client.DetectAsync(new DetectRequest { Image = image });
        var clock = Stopwatch.StartNew();
        var identified = await client.IdentifyAsync(new IdentifyRequest { Gallery = "crowd", Image = image, MultiScale = true, TopK = 1 });
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{Path.GetFileName(photo)} ({detected.ImageWidth}×{detected.ImageHeight}): {single.Faces.Count} faces in a single pass, " +
                          $"{detected.Faces.Count} in crowd mode; Identify answered for {identified.Faces.Count} in {seconds:F1} s ({identified.Faces.Count / seconds:F0} faces/s, loopback fleet, 2 cores)");
        Assert.True(detected.Faces.Count > single.Faces.Count, $"crowd mode {detected.Faces.Count} faces, single pass {single.Faces.Count}");
        Assert.InRange(detected.Faces.Count, 1, 100);
        if (beyondTheLimit)
            Assert.Equal(100, detected.Faces.Count); // the largest 100 (Detector:MaxFaces)
        Assert.Equal(detected.Faces.Count, identified.Faces.Count);
        // The same faces, each searched: every answer has its candidate, the one enrolled subject.
        Assert.Equal(detected.Faces.Select(f => (f.Box.Left, f.Box.Top)).OrderBy(b => b), identified.Faces.Select(f => (f.Face.Box.Left, f.Face.Box.Top)).OrderBy(b => b));
        Assert.All(identified.Faces, f => Assert.Equal("obama", Assert.Single(f.Candidates).SubjectId));
    }

    /// <summary>The crowd issue's figure: Identify through the fleet on a 1920×1080 crowd photo, in faces per second.</summary>
    [Fact]
    public async Task Identify_in_crowd_mode_on_a_1920_by_1080_photo_answers_for_the_largest_100_faces()
    {
        var client = fleet.Client;
        await client.EnrollAsync(new EnrollRequest { Gallery = "crowd-1080", SubjectId = "obama", Photos = { new EnrollPhoto { Image = Photo(TestPaths.Example("obama.jpg")) } }, WaitUntilSearchable = true });
        var photo = FaceMesh.Imaging.ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(TestPaths.WiderDev, "images", "2--Demonstration", "2_Demonstration_Demonstration_Or_Protest_2_98.jpg")));
        var jpeg = FaceMesh.Imaging.ImageEncoder.Encode(FaceMesh.Imaging.Resampler.Resize(photo, 1920, 1080), SkiaSharp.SKEncodedImageFormat.Jpeg, 92);
        var image = new Image { Content = ByteString.CopyFrom(jpeg) };
        var clock = Stopwatch.StartNew();
        var identified = await client.IdentifyAsync(new IdentifyRequest { Gallery = "crowd-1080", Image = image, MultiScale = true, TopK = 1 });
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"1920×1080 crowd photo: Identify answered for {identified.Faces.Count} faces in {seconds:F1} s ({identified.Faces.Count / seconds:F0} faces/s, loopback fleet, 2 cores)");
        Assert.Equal(100, identified.Faces.Count);
        Assert.All(identified.Faces, f => Assert.Equal("obama", Assert.Single(f.Candidates).SubjectId));
    }
}
