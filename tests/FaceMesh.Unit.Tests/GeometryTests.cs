using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Alignment;
using FaceMesh.Pipeline.Detection;

namespace FaceMesh.Unit.Tests;

public sealed class GeometryTests
{
    [Fact]
    public void Similarity_transform_recovers_a_known_rotation_scale_and_shift()
    {
        // Hand-made: rotate 90° anticlockwise, scale 2, shift (10, 20): (x, y) → (−2y + 10, 2x + 20).
        Vector2[] from = [new(0, 0), new(1, 0), new(0, 1), new(1, 1)];
        Vector2[] to = [new(10, 20), new(10, 22), new(8, 20), new(8, 22)];
        var t = SimilarityTransform.Estimate(from, to);
        Assert.Equal(0, t.A, 9);
        Assert.Equal(-2, t.B, 9);
        Assert.Equal(10, t.Tx, 9);
        Assert.Equal(2, t.C, 9);
        Assert.Equal(0, t.D, 9);
        Assert.Equal(20, t.Ty, 9);
    }

    [Fact]
    public void Similarity_transform_is_the_least_squares_fit_for_inconsistent_points()
    {
        // Two points moved apart by 4 along x, a third off the line: by hand, centred source
        // (−1,0),(1,0),(0,0) and target (−2,0),(2,0),(0,1): a = Σ(x·u + y·v)/Σ(x² + y²) = 4/2 = 2,
        // b = Σ(x·v − y·u)/Σ(x² + y²) = 0; t = mean(to) − 2·mean(from) = (0, 1/3) − 2·(1, 0) = (−2, 1/3).
        Vector2[] from = [new(0, 0), new(2, 0), new(1, 0)];
        Vector2[] to = [new(-2, 0), new(2, 0), new(0, 1)];
        var t = SimilarityTransform.Estimate(from, to);
        Assert.Equal(2, t.A, 9);
        Assert.Equal(0, t.C, 9);
        Assert.Equal(-2, t.Tx, 9);
        Assert.Equal(1.0 / 3, t.Ty, 9);
    }

    [Fact]
    public void Similarity_transform_refuses_coincident_points()
    {
        Vector2[] same = [new(5, 5), new(5, 5)];
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Estimate(same, [new(0, 0), new(1, 1)]));
    }

    [Fact]
    public void Aligning_the_reference_onto_itself_is_the_identity()
    {
        float[][] reference = [[38.2946f, 51.6963f], [73.5318f, 51.5014f], [56.0252f, 71.7366f], [41.5493f, 92.3655f], [70.7299f, 92.2041f]];
        var points = reference.Select(p => new Vector2(p[0], p[1])).ToArray();
        var t = new FaceAligner(points, 112).TransformFor(points);
        Assert.Equal(Affine2D.Identity.A, t.A, 6);
        Assert.Equal(0, t.B, 6);
        Assert.Equal(0, t.Tx, 4);
        Assert.Equal(0, t.Ty, 4);
    }

    [Fact]
    public void Nms_keeps_the_best_of_overlapping_boxes_and_all_disjoint_ones()
    {
        // Boxes 0 and 1 overlap with IoU 81/119 ≈ 0.68 (10×10 boxes shifted by 1 in x and y: 9·9 = 81
        // shared, 100 + 100 − 81 = 119 united); box 2 is far away.
        var a = new DetectedFace(new FaceBox(0, 0, 10, 10), 0.9f);
        var b = new DetectedFace(new FaceBox(1, 1, 11, 11), 0.95f);
        var c = new DetectedFace(new FaceBox(50, 50, 60, 60), 0.5f);
        Assert.Equal(81f / 119f, a.Box.IoU(b.Box), 6);
        var kept = NonMaximumSuppression.Apply([a, b, c], iouThreshold: 0.4f);
        Assert.Equal([b, c], kept);
        var loose = NonMaximumSuppression.Apply([a, b, c], iouThreshold: 0.7f);
        Assert.Equal([b, a, c], loose);
    }

    [Fact]
    public void Affine_inverse_undoes_the_map()
    {
        var t = new Affine2D(1.5, -0.3, 12, 0.3, 1.5, -7);
        var p = new Vector2(17, 42);
        var back = t.Invert().Apply(t.Apply(p));
        Assert.Equal(p.X, back.X, 3);
        Assert.Equal(p.Y, back.Y, 3);
    }

    [Fact]
    public void Resize_by_an_integer_factor_averages_blocks()
    {
        var image = new RgbImage(4, 2, [0, 0, 0, 100, 100, 100, 10, 10, 10, 30, 30, 30,
                                        200, 200, 200, 100, 100, 100, 50, 50, 50, 70, 70, 70]);
        var half = Resampler.Resize(image, 2, 1);
        // (0 + 100 + 200 + 100) / 4 = 100; (10 + 30 + 50 + 70) / 4 = 40.
        Assert.Equal(new byte[] { 100, 100, 100, 40, 40, 40 }, half.Pixels);
    }
}
