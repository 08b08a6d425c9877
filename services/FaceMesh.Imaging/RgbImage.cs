namespace FaceMesh.Imaging;

/// <summary>
/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B. The one pixel type the
/// pipeline works on: every decoder output is converted to it, every model input is made from it.
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height) : this(width, height, new byte[checked(width * height * 3)]) { }

    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != width * height * 3)
            throw new ArgumentException($"Expected {width * height * 3} bytes for {width}x{height} RGB, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Interleaved RGB bytes, <c>Width * Height * 3</c> of them.</summary>
    public byte[] Pixels { get; }

    public int Stride => Width * 3;

    public Span<byte> Row(int y) => Pixels.AsSpan(y * Stride, Stride);

    /// <summary>The image mirrored left to right (a new image).</summary>
    public RgbImage Mirrored()
    {
        var mirror = new RgbImage(Width, Height);
        for (int y = 0; y < Height; y++)
        {
            var source = Row(y);
            var target = mirror.Row(y);
            for (int x = 0, back = (Width - 1) * 3; x < Width; x++, back -= 3)
            {
                target[3 * x] = source[back];
                target[3 * x + 1] = source[back + 1];
                target[3 * x + 2] = source[back + 2];
            }
        }
        return mirror;
    }
}
