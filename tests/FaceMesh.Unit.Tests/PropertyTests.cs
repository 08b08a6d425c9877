using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Alignment;
using FaceMesh.Pipeline.Detection;
using FsCheck;
using FsCheck.Fluent;

namespace FaceMesh.Unit.Tests;

/// <summary>
/// Properties that must hold for every input, checked by FsCheck on a few hundred generated cases each (a failure
/// prints the smallest counter-example it shrank to and the seed that replays it).
/// </summary>
public sealed class PropertyTests
{
    private static readonly Config Checked = Config.QuickThrowOnFailure.WithMaxTest(300);

    /// <summary>A similarity (scale, angle, translation) and five points in general position.</summary>
    private static readonly Gen<(double Scale, double Angle, Vector2 Shift, Vector2[] Points)> Similarities =
        from scale in Gen.Choose(20, 500).Select(s => s / 100.0)
        from angle in Gen.Choose(-3141, 3141).Select(a => a / 1000.0)
        from tx in Gen.Choose(-500, 500)
        from ty in Gen.Choose(-500, 500)
        from coordinates in Gen.Choose(0, 1120).ArrayOf(10)
        let points = Enumerable.Range(0, 5).Select(i => new Vector2(coordinates[2 * i] / 10f, coordinates[2 * i + 1] / 10f)).ToArray()
        where Spread(points) > 100 // not all (nearly) on one spot
        select (scale, angle, new Vector2(tx, ty), points);

    private static double Spread(Vector2[] points)
    {
        var mean = points.Aggregate(Vector2.Zero, (a, p) => a + p) / points.Length;
        return points.Sum(p => (double)Vector2.DistanceSquared(p, mean));
    }

    [Fact]
    public void The_estimated_similarity_recovers_any_exact_similarity_and_maps_every_point_onto_its_image()
    {
        Prop.ForAll(Similarities.ToArbitrary(), c =>
        {
            var (cos, sin) = (c.Scale * Math.Cos(c.Angle), c.Scale * Math.Sin(c.Angle));
            var truth = new Affine2D(cos, -sin, c.Shift.X, sin, cos, c.Shift.Y);
            var images = c.Points.Select(truth.Apply).ToArray();
            var estimated = SimilarityTransform.Estimate(c.Points, images);
            double worst = c.Points.Zip(images, (p, q) => (double)Vector2.Distance(estimated.Apply(p), q)).Max();
            return worst < 1e-2 * Math.Max(1, c.Scale)                       // every point lands on its image
                   && Math.Abs(estimated.A - estimated.D) < 1e-6 && Math.Abs(estimated.B + estimated.C) < 1e-6 // a similarity: [a −b; b a]
                   && Math.Abs(Math.Sqrt(estimated.Determinant) - c.Scale) < 1e-3 * c.Scale;
        }).Check(Checked);
    }

    [Fact]
    public void The_estimated_similarity_is_the_least_squares_one_no_nearby_similarity_fits_noisy_points_better()
    {
        var noisy = from c in Similarities from noise in Gen.Choose(-300, 300).ArrayOf(10) select (c, noise);
        Prop.ForAll(noisy.ToArbitrary(), x =>
        {
            var (c, noise) = x;
            var (cos, sin) = (c.Scale * Math.Cos(c.Angle), c.Scale * Math.Sin(c.Angle));
            var truth = new Affine2D(cos, -sin, c.Shift.X, sin, cos, c.Shift.Y);
            var images = c.Points.Select((p, i) => truth.Apply(p) + new Vector2(noise[2 * i] / 100f, noise[2 * i + 1] / 100f)).ToArray();
            var best = SimilarityTransform.Estimate(c.Points, images);
            double Error(Affine2D t) => c.Points.Zip(images, (p, q) => (double)Vector2.DistanceSquared(t.Apply(p), q)).Sum();
            double e0 = Error(best);
            // Nudging any of its four parameters never lowers the squared error.
            double h = 1e-3;
            Affine2D[] nudged =
            [
                best with { A = best.A + h, D = best.D + h }, best with { A = best.A - h, D = best.D - h },
                best with { B = best.B + h, C = best.C - h }, best with { B = best.B - h, C = best.C + h },
                best with { Tx = best.Tx + 0.05 }, best with { Ty = best.Ty - 0.05 },
            ];
            return nudged.All(t => Error(t) >= e0 - 1e-6 * (1 + e0));
        }).Check(Checked);
    }

    private static readonly Gen<DetectedFace[]> Detections =
        (from x in Gen.Choose(0, 300)
         from y in Gen.Choose(0, 300)
         from w in Gen.Choose(4, 120)
         from h in Gen.Choose(4, 120)
         from score in Gen.Choose(1, 1000)
         select new DetectedFace(FaceBox.FromXywh(x, y, w, h), score / 1000f)).ArrayOf();

    [Fact]
    public void Nms_keeps_a_subset_sorted_by_score_with_no_pair_above_the_threshold_and_every_dropped_box_covered_by_a_better_kept_one()
    {
        var cases = from boxes in Detections from t in Gen.Choose(10, 90) select (boxes, threshold: t / 100f);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var kept = NonMaximumSuppression.Apply(c.boxes, c.threshold);
            bool subset = kept.All(k => c.boxes.Contains(k));
            bool sorted = kept.Zip(kept.Skip(1), (a, b) => a.Score >= b.Score).All(ok => ok);
            bool separated = kept.SelectMany((a, i) => kept.Skip(i + 1).Select(b => a.Box.IoU(b.Box) <= c.threshold)).All(ok => ok);
            bool covered = c.boxes.Where(b => !kept.Contains(b))
                .All(d => kept.Any(k => k.Score >= d.Score && k.Box.IoU(d.Box) > c.threshold));
            bool idempotent = NonMaximumSuppression.Apply(kept, c.threshold).SequenceEqual(kept);
            bool topK = NonMaximumSuppression.Apply(c.boxes, c.threshold, 3).Count <= 3;
            return subset && sorted && separated && covered && idempotent && topK && (c.boxes.Length == 0 || kept.Count > 0);
        }).Check(Checked);
    }
}
