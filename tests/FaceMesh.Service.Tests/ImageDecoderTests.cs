using System.Buffers.Binary;
using System.Text;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Embedding;
using SkiaSharp;

namespace FaceMesh.Service.Tests;

[Collection(PipelineCollection.Name)]
public sealed class ImageDecoderTests(PipelineFixture fixture)
{
    private static readonly string Obama = TestPaths.Example("obama-480p.jpg");

    [Fact]
    public void Empty_bytes_are_refused_with_a_clear_error()
    {
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode([]));
        Assert.Contains("empty (0 bytes)", e.Message);
    }

    [Fact]
    public void Truncated_jpeg_is_refused_as_truncated()
    {
        var bytes = File.ReadAllBytes(Obama);
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(bytes[..(bytes.Length / 2)]));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Bytes_that_are_no_image_are_refused()
    {
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(Encoding.UTF8.GetBytes("%PDF-1.4 this is not a picture at all")));
        Assert.Contains("not an image", e.Message);
        Assert.Contains("JPEG, PNG, WebP, BMP or GIF", e.Message);
    }

    [Fact]
    public void Png_declaring_30000_by_30000_pixels_is_refused_before_decoding()
    {
        var bomb = PngHeaderOnly(30000, 30000);
        Assert.True(bomb.Length < 1000, $"{bomb.Length} bytes"); // a tiny file: refusing it must not decode 900 megapixels
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(bomb));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Contains("30000x30000", e.Message);
        Assert.Contains("refused before decoding", e.Message);
        Assert.True(allocated < 10_000_000, $"allocated {allocated:N0} bytes while refusing");
    }

    [Fact]
    public void Image_over_the_byte_limit_is_refused()
    {
        var bytes = File.ReadAllBytes(Obama);
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(bytes, new ImageLimits { MaxBytes = 1000 }));
        Assert.Contains($"{bytes.Length:N0} bytes; the limit is 1,000 bytes", e.Message);
    }

    [Fact]
    public void One_pixel_image_is_refused_as_too_small()
    {
        using var bitmap = new SKBitmap(1, 1);
        var png = bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(png));
        Assert.Contains("1x1 pixels", e.Message);
    }

    [Theory]
    [InlineData("cmyk.jpg", "-colorspace", "CMYK")]
    [InlineData("first-frame.gif")]
    [InlineData("plain.bmp")]
    [InlineData("sixteen-bit.png", "-depth", "16")]
    [InlineData("grey.png", "-colorspace", "Gray")]
    [InlineData("alpha.png", "-alpha", "set", "-channel", "A", "-evaluate", "set", "60%")]
    [InlineData("lossless.webp", "-define", "webp:lossless=true")]
    public void Every_supported_format_decodes_to_the_same_face(string name, params string[] conversion)
    {
        var reference = fixture.EmbedPrimary(Obama);
        var variant = ImageFixtures.Make(Obama, name, conversion);
        var image = ImageDecoder.Decode(File.ReadAllBytes(variant));
        Assert.Equal((853, 480), (image.Width, image.Height));
        var similarity = CosineSimilarity.Of(reference, fixture.EmbedPrimary(variant));
        // The same photo: only colour conversion or quantisation differs.
        Assert.True(similarity > 0.85f, $"{name}: similarity {similarity:F3} to the original");
    }

    [Theory]
    [InlineData(SKEncodedOrigin.LeftBottom, 6)]  // stored turned anticlockwise; tag 6: turn clockwise to view
    [InlineData(SKEncodedOrigin.RightTop, 8)]    // stored turned clockwise; tag 8: turn anticlockwise to view
    [InlineData(SKEncodedOrigin.BottomRight, 3)] // stored upside down; tag 3: turn 180° to view
    public void Exif_orientation_is_applied(SKEncodedOrigin storeAs, int exifOrientation)
    {
        var upright = PipelineFixture.Load(Obama);
        var stored = Orientation.Apply(upright, storeAs);
        var jpeg = WithExifOrientation(ImageEncoder.Encode(stored, SKEncodedImageFormat.Jpeg, 95), exifOrientation);

        var image = ImageDecoder.Decode(jpeg);
        Assert.Equal((853, 480), (image.Width, image.Height));
        var original = fixture.Pipeline.FindPrimary(upright)!;
        var found = fixture.Pipeline.FindPrimary(image)!;
        Assert.True(original.Box.IoU(found.Box) > 0.8f, $"boxes {original.Box} and {found.Box}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Every_exif_orientation_is_applied_while_converting_exactly_as_a_rotation_after_decoding(int exifOrientation)
    {
        // The same JPEG data with and without the tag: the decoder's upright image equals the stored image turned afterwards.
        var jpeg = ImageEncoder.Encode(Resampler.Resize(PipelineFixture.Load(Obama), 301, 170), SKEncodedImageFormat.Jpeg, 90);
        var stored = ImageDecoder.Decode(jpeg);
        var expected = Orientation.Apply(stored, (SKEncodedOrigin)exifOrientation);
        var image = ImageDecoder.Decode(WithExifOrientation(jpeg, exifOrientation));
        Assert.Equal((expected.Width, expected.Height), (image.Width, image.Height));
        Assert.True(expected.Pixels.AsSpan().SequenceEqual(image.Pixels), $"orientation {exifOrientation}: the pixels differ");
    }

    [Fact]
    public void A_large_jpeg_is_decoded_at_the_codecs_reduced_scale_row_by_row_and_a_png_is_charged_its_whole_frame()
    {
        var large = ImageEncoder.Encode(Resampler.Resize(PipelineFixture.Load(Obama), 4000, 2250), SKEncodedImageFormat.Jpeg, 90);
        using var pending = ImageDecoder.Open(large, new ImageLimits { MaxDecodePixels = 3_000_000 });
        Assert.Equal((4000, 2250), (pending.OriginalWidth, pending.OriginalHeight));
        Assert.Equal((2000, 1125), (pending.Width, pending.Height)); // JPEG's DCT scaling at 4/8: the largest under 3 MP
        Assert.Equal(0.5f, pending.Scale);
        Assert.InRange(pending.PeakBytes, 3L * 2000 * 1125, 3L * 2000 * 1125 + 4L * 2000 * 64); // one RGB buffer and a strip
        var image = pending.Decode();
        Assert.Equal((2000, 1125), (image.Width, image.Height));
        var face = fixture.Pipeline.FindPrimary(image)!;
        var reference = fixture.Pipeline.FindPrimary(Resampler.Resize(PipelineFixture.Load(Obama), 2000, 1125))!;
        Assert.True(face.Box.IoU(reference.Box) > 0.8f, $"boxes {face.Box} and {reference.Box}");
        // Under the limit nothing is scaled; PNG cannot be scaled by its codec and is decoded in full.
        using var small = ImageDecoder.Open(File.ReadAllBytes(Obama), new ImageLimits { MaxDecodePixels = 3_000_000 });
        Assert.Equal(1f, small.Scale);
        var png = ImageEncoder.Encode(Resampler.Resize(PipelineFixture.Load(Obama), 2400, 1350), SKEncodedImageFormat.Png, 100);
        using var pendingPng = ImageDecoder.Open(png, new ImageLimits { MaxDecodePixels = 1_000_000 });
        Assert.Equal((2400, 1350, 1f), (pendingPng.Width, pendingPng.Height, pendingPng.Scale));
        // Skia decodes PNG only as a whole frame: the budget is charged the RGBA frame too.
        Assert.Equal(3L * 2400 * 1350 + 4L * 2400 * 1350, pendingPng.PeakBytes);
    }

    /// <summary>Inserts an EXIF APP1 segment holding only the orientation tag (0x0112) after the JPEG's SOI marker.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0,           // little-endian TIFF header, IFD at offset 8
            1, 0,                                              // one entry
            0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, 0, 0, 0, // tag 0x0112, SHORT, count 1, value
            0, 0, 0, 0,                                        // no next IFD
        ];
        var payload = Encoding.ASCII.GetBytes("Exif\0\0").Concat(tiff).ToArray();
        int length = payload.Length + 2;
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    [Fact]
    public void Animated_gif_decodes_its_first_frame()
    {
        // Two frames: Obama, then Biden. The decoder must give the first.
        var biden = TestPaths.Example("biden.jpg");
        var gif = ImageFixtures.Make(Obama, "animated.gif", "(", biden, "-resize", "853x480!", ")");
        var image = ImageDecoder.Decode(File.ReadAllBytes(gif));
        Assert.Equal((853, 480), (image.Width, image.Height));
        var first = fixture.EmbedPrimary(gif);
        float toObama = CosineSimilarity.Of(first, fixture.EmbedPrimary(Obama));
        float toBiden = CosineSimilarity.Of(first, fixture.EmbedPrimary(biden));
        // Decided at the pack's calibrated operating points: a match with Obama at FAR 1e-5, none with Biden at FAR 1e-3.
        Assert.True(toObama >= fixture.Pipeline.Thresholds.At(1e-5) && toBiden < fixture.Pipeline.Thresholds.At(1e-3), $"first frame vs Obama {toObama:F3}, vs Biden {toBiden:F3}");
    }

    [Fact]
    public void Transparent_pixels_are_composited_over_white()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(0, 0, 0, 0));
        var image = ImageDecoder.Decode(bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        Assert.All(image.Pixels, p => Assert.Equal(255, p));
    }

    /// <summary>A PNG signature, an IHDR chunk declaring the size, one small IDAT and IEND: a decoder that
    /// trusted the header would allocate width × height × 4 bytes.</summary>
    private static byte[] PngHeaderOnly(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        WriteChunk(png, "IHDR", ihdr);
        using (var idat = new MemoryStream())
        {
            using (var zlib = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
                zlib.Write(new byte[1 + width * 3]); // one filtered row of black
            WriteChunk(png, "IDAT", idat.ToArray());
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
