namespace FaceMesh.Pipeline.Detection;

/// <summary>A face box in image pixels: left, top, right, bottom.</summary>
public readonly record struct FaceBox(float Left, float Top, float Right, float Bottom)
{
    public float Width => Right - Left;
    public float Height => Bottom - Top;
    public float Area => Math.Max(0, Width) * Math.Max(0, Height);
    public float CenterX => (Left + Right) / 2;
    public float CenterY => (Top + Bottom) / 2;

    public static FaceBox FromXywh(float x, float y, float w, float h) => new(x, y, x + w, y + h);

    /// <summary>Intersection over union; 0 for disjoint boxes.</summary>
    public float IoU(FaceBox other)
    {
        float w = Math.Min(Right, other.Right) - Math.Max(Left, other.Left);
        float h = Math.Min(Bottom, other.Bottom) - Math.Max(Top, other.Top);
        if (w <= 0 || h <= 0)
            return 0;
        float intersection = w * h;
        return intersection / (Area + other.Area - intersection);
    }

    public FaceBox Offset(float dx, float dy) => new(Left + dx, Top + dy, Right + dx, Bottom + dy);

    public override string ToString() => $"[{Left:F0},{Top:F0} {Width:F0}x{Height:F0}]";
}
