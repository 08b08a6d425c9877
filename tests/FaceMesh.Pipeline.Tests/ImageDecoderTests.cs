using System.Buffers.Binary;
using System.Text;
using FaceMesh.Imaging;
using SkiaSharp;

namespace FaceMesh.Pipeline.Tests;

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
        Assert.True(bomb.Length < 100); // a tiny file: refusing it must not decode 900 megapixels
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
        Assert.Equal((854, 480), (image.Width, image.Height));
        var similarity = Embedding.CosineSimilarity.Of(reference, fixture.EmbedPrimary(variant));
        // The same photo: only colour conversion or quantisation differs.
        Assert.True(similarity > 0.85f, $"{name}: similarity {similarity:F3} to the original");
    }

    [Fact]
    public void Exif_orientation_is_applied()
    {
        // Stored rotated 90° anticlockwise, tagged "rotate 90° clockwise to view" (orientation 6).
        var rotated = ImageFixtures.Make(Obama, "oriented.jpg", "-rotate", "-90", "-orient", "RightTop");
        var image = ImageDecoder.Decode(File.ReadAllBytes(rotated));
        Assert.Equal((854, 480), (image.Width, image.Height));
        var original = fixture.Pipeline.FindPrimary(PipelineFixture.Load(Obama))!;
        var upright = fixture.Pipeline.FindPrimary(image)!;
        Assert.True(original.Box.IoU(upright.Box) > 0.8f, $"boxes {original.Box} and {upright.Box}");
    }

    [Fact]
    public void Transparent_pixels_are_composited_over_white()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(0, 0, 0, 0));
        var image = ImageDecoder.Decode(bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        Assert.All(image.Pixels, p => Assert.Equal(255, p));
    }

    /// <summary>A PNG signature and IHDR chunk declaring the size, then IEND: no pixel data at all.</summary>
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
