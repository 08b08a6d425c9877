using System.Text.Json;
using FaceMesh.Cli;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;

namespace FaceMesh.Service.Tests;

/// <summary>The facemesh commands, run in-process as a user runs them, checked by the files they write.</summary>
[Collection(PipelineCollection.Name)]
public sealed class CliTests
{
    static CliTests() => Environment.SetEnvironmentVariable("FACEMESH_MODELS", TestPaths.Packs);

    private static int Run(params string[] args) => FaceMeshApp.Create().Run(args);

    private static bool IsPng(string path) =>
        File.Exists(path) && File.ReadAllBytes(path).AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });

    /// <summary>A 10-fold LFW-format pairs file with the first 4 + 4 pairs of each fold of celeba-dev.</summary>
    private static string SmallPairsFile()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.CelebaDev, "pairs.txt"));
        var selected = new List<string> { "10\t4" };
        for (int fold = 0; fold < 10; fold++)
        {
            int start = 1 + fold * 600;
            selected.AddRange(lines.Skip(start).Take(4));
            selected.AddRange(lines.Skip(start + 300).Take(4));
        }
        var path = Path.Combine(TestPaths.NewTempDirectory(), "pairs.txt");
        File.WriteAllLines(path, selected);
        return path;
    }

    [Fact]
    public void Eval_verify_writes_the_protocol_json_and_a_roc_png()
    {
        var dir = TestPaths.NewTempDirectory();
        string json = Path.Combine(dir, "result.json"), plot = Path.Combine(dir, "roc.png");
        Assert.Equal(0, Run("eval", "verify", "--root", TestPaths.CelebaDev, "--pairs", SmallPairsFile(), "--json", json, "--plot", plot));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        Assert.Equal(80, r.GetProperty("pairs").GetInt32());
        Assert.Equal(0, r.GetProperty("failed_images").GetInt32());
        Assert.InRange(r.GetProperty("accuracy_mean").GetDouble(), 0.85, 1.0);
        Assert.InRange(r.GetProperty("accuracy_std").GetDouble(), 0.0, 0.2);
        Assert.InRange(r.GetProperty("eer").GetDouble(), 0.0, 0.2);
        var tar = r.GetProperty("tar_at_far");
        Assert.Equal(["0.0001", "0.001", "0.01"], tar.EnumerateObject().Select(p => p.Name).Order().ToArray());
        Assert.True(tar.GetProperty("0.01").GetDouble() >= tar.GetProperty("0.0001").GetDouble());
        Assert.True(IsPng(plot));
    }

    [Fact]
    public void Eval_cluster_finds_each_person_of_the_knn_examples_where_the_density_rule_leaves_pairs_alone()
    {
        var dir = TestPaths.NewTempDirectory();
        string json = Path.Combine(dir, "people.json"), sheets = Path.Combine(dir, "sheets");
        var train = Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "train");
        Assert.Equal(0, Run("eval", "cluster", "--root", train, "--json", json, "--sheets", sheets));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        // 9 photos of 5 people: one alone, four with two photos each.
        Assert.Equal((5, 5, 9, 1), (r.GetProperty("clusters").GetInt32(), r.GetProperty("identities").GetInt32(),
            r.GetProperty("faces").GetInt32(), r.GetProperty("singletons").GetInt32()));
        string[] scores = ["pairwise_precision", "pairwise_recall", "pairwise_f", "bcubed_precision", "bcubed_recall", "bcubed_f"];
        foreach (var key in scores)
            Assert.Equal(1.0, r.GetProperty(key).GetDouble());
        // The density rule needs three faces of a person before it starts a group: nobody here has three.
        var baseline = r.GetProperty("baseline");
        Assert.Equal(9, baseline.GetProperty("clusters").GetInt32());
        Assert.Equal(0.0, baseline.GetProperty("pairwise_recall").GetDouble());
        Assert.Equal(5.0 / 9, baseline.GetProperty("bcubed_recall").GetDouble(), 6);
        var drawn = Directory.GetFiles(sheets).Select(p => Path.GetFileName(p)).Order().ToArray();
        Assert.Equal(["alone.png", "group-0001-2.png", "group-0002-2.png", "group-0003-2.png", "group-0004-2.png"], drawn);
        Assert.All(Directory.GetFiles(sheets), p => Assert.True(IsPng(p)));
    }

    [Fact]
    public void Eval_cluster_groups_a_celeba_dev_subset_better_than_the_density_rule()
    {
        // The first 20 people of celeba-dev (in name order), linked into a folder of their own.
        var root = TestPaths.NewTempDirectory();
        foreach (var person in Directory.GetDirectories(TestPaths.CelebaDev).Order(StringComparer.Ordinal).Take(20))
            Directory.CreateSymbolicLink(Path.Combine(root, Path.GetFileName(person)), person);
        var json = Path.Combine(TestPaths.NewTempDirectory(), "people.json");
        Assert.Equal(0, Run("eval", "cluster", "--root", root, "--json", json));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        Assert.Equal(20, r.GetProperty("identities").GetInt32());
        Assert.Equal("average-linkage", r.GetProperty("method").GetString());
        double f = r.GetProperty("bcubed_f").GetDouble(), baseline = r.GetProperty("baseline").GetProperty("bcubed_f").GetDouble();
        Assert.InRange(f, 0.95, 1.0); // 0.971 measured (2026-12-02); the baseline 0.961
        Assert.True(f > baseline, $"average linkage {f:F4} is not above the density rule's {baseline:F4}");
        Assert.InRange(r.GetProperty("clusters").GetInt32(), 20, 45); // 33 measured
    }

    [Fact]
    public void Eval_liveness_writes_the_iso_30107_3_error_rates_and_a_det_curve()
    {
        // Two subjects of pad-dev, every fifth frame, linked into folders of their own.
        var root = TestPaths.NewTempDirectory();
        foreach (var kind in new[] { "real", "spoof" })
            foreach (var subject in new[] { "0002", "0005" })
            {
                var dir = Directory.CreateDirectory(Path.Combine(root, kind, subject)).FullName;
                foreach (var frame in Directory.GetFiles(Path.Combine(TestPaths.Datasets, "pad-dev", kind, subject)).Order().Where((_,
                    i) => i % 5 == 0))
                    File.CreateSymbolicLink(Path.Combine(dir, Path.GetFileName(frame)), frame);
            }
        var output = TestPaths.NewTempDirectory();
        string json = Path.Combine(output, "liveness.json"), plot = Path.Combine(output, "det.png");
        Assert.Equal(0, Run("eval", "liveness", "--pack", "liveness-livenessnet", "--real", Path.Combine(root, "real"),
            "--spoof", Path.Combine(root, "spoof"), "--json", json, "--plot", plot));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        int real = Directory.GetFiles(Path.Combine(root, "real"), "*", SearchOption.AllDirectories).Length;
        int spoof = Directory.GetFiles(Path.Combine(root, "spoof"), "*", SearchOption.AllDirectories).Length;
        Assert.Equal((real, spoof, 0), (r.GetProperty("real").GetInt32(), r.GetProperty("spoof").GetInt32(),
            r.GetProperty("no_face").GetInt32()));
        foreach (var key in new[] { "apcer", "bpcer", "acer", "eer" })
            Assert.InRange(r.GetProperty(key).GetDouble(), 0.0, 1.0);
        Assert.Equal((r.GetProperty("apcer").GetDouble() + r.GetProperty("bpcer").GetDouble()) / 2, r.GetProperty("acer").GetDouble(), 9);
        Assert.Equal(0.5, r.GetProperty("threshold").GetDouble());
        Assert.True(r.GetProperty("eer").GetDouble() < 0.5); // better than a coin, as on all of pad-dev (31 %)
        Assert.True(IsPng(plot));
        // The shortcut check: the same model on a crop with background, and with the background grey.
        Assert.Equal(0, Run("eval", "liveness", "--pack", "liveness-livenessnet", "--real", Path.Combine(root, "real"),
            "--spoof", Path.Combine(root, "spoof"), "--json", json, "--margin", "1", "--grey-background"));
        using (var grey = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal(1.0, grey.RootElement.GetProperty("context_margin").GetDouble());
            Assert.True(grey.RootElement.GetProperty("grey_background").GetBoolean());
            Assert.NotEqual(r.GetProperty("eer").GetDouble(), grey.RootElement.GetProperty("eer").GetDouble());
        }
        // A photo without a face counts against the system: as a live face refused.
        File.WriteAllBytes(Path.Combine(root, "real", "0002", "blank.png"), ImageEncoder.Encode(new RgbImage(200, 200)));
        Assert.Equal(0, Run("eval", "liveness", "--pack", "liveness-livenessnet", "--real", Path.Combine(root, "real"),
            "--spoof", Path.Combine(root, "spoof"), "--json", json));
        using var again = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(1, again.RootElement.GetProperty("no_face").GetInt32());
        Assert.True(again.RootElement.GetProperty("bpcer").GetDouble() > r.GetProperty("bpcer").GetDouble());
    }

    [Fact]
    public void Eval_detect_writes_ap_overall_and_by_size()
    {
        var dir = TestPaths.NewTempDirectory();
        var gt = WiderSubset(dir, 12);
        string json = Path.Combine(dir, "detect.json"), plot = Path.Combine(dir, "pr.png");
        Assert.Equal(0, Run("eval", "detect", "--root", Path.Combine(TestPaths.WiderDev, "images"), "--gt", gt, "--json", json, "--plot", plot));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        foreach (var key in new[] { "ap", "ap_small", "ap_medium", "ap_large" })
            Assert.InRange(doc.RootElement.GetProperty(key).GetDouble(), 0.0, 1.0);
        Assert.True(doc.RootElement.GetProperty("ap").GetDouble() > 0.05);
        Assert.True(doc.RootElement.GetProperty("ap_large").GetDouble() > doc.RootElement.GetProperty("ap_small").GetDouble());
        Assert.True(IsPng(plot));
    }

    [Fact]
    public void Align_writes_112_pixel_crops_per_identity_and_reports_photos_without_a_face()
    {
        var input = TestPaths.NewTempDirectory();
        var train = Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "train");
        foreach (var person in new[] { "obama", "biden" })
        {
            Directory.CreateDirectory(Path.Combine(input, person));
            foreach (var photo in Directory.GetFiles(Path.Combine(train, person)))
                File.Copy(photo, Path.Combine(input, person, Path.GetFileName(photo)));
        }
        // A photo with no face in it: the lower part of two_people.jpg.
        var image = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Example("two_people.jpg")));
        File.WriteAllBytes(Path.Combine(input, "obama", "suits.png"), ImageEncoder.Encode(Resampler.Crop(image, 0, 400, image.Width, image.Height - 400)));

        var output = TestPaths.NewTempDirectory();
        Assert.Equal(0, Run("align", input, output));
        var crops = Directory.GetFiles(output, "*.png", SearchOption.AllDirectories);
        int photos = Directory.GetFiles(input, "*", SearchOption.AllDirectories).Length;
        Assert.Equal(photos - 1, crops.Length);
        Assert.All(crops, c =>
        {
            var crop = ImageDecoder.Decode(File.ReadAllBytes(c));
            Assert.Equal((112, 112), (crop.Width, crop.Height));
        });
        var report = File.ReadAllLines(Path.Combine(output, "no_face.tsv"));
        Assert.Equal(["obama/suits.png\tno face found"], report);
    }

    [Fact]
    public void Detect_draws_the_faces_on_the_photo()
    {
        var png = Path.Combine(TestPaths.NewTempDirectory(), "drawn.png");
        Assert.Equal(0, Run("detect", TestPaths.Example("two_people.jpg"), "--draw", png));
        var drawn = ImageDecoder.Decode(File.ReadAllBytes(png));
        Assert.Equal((1126, 661), (drawn.Width, drawn.Height));
    }

    [Fact]
    public void Calibrate_dry_run_leaves_the_manifest_alone()
    {
        var manifest = File.ReadAllText(Path.Combine(TestPaths.DefaultPack, ModelPack.ManifestFileName));
        Assert.Equal(0, Run("calibrate", "--root", Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "train"), "--dry-run"));
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(TestPaths.DefaultPack, ModelPack.ManifestFileName)));
    }

    [Fact]
    public void Unreadable_image_is_one_clear_error_line_and_exit_code_1()
    {
        var bad = Path.Combine(TestPaths.NewTempDirectory(), "bad.jpg");
        File.WriteAllText(bad, "hello");
        Assert.Equal(1, Run("detect", bad));
    }

    private static string WiderSubset(string dir, int images)
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.WiderDev, "wider_face_val_bbx_gt.txt"));
        var subset = new List<string>();
        for (int n = 0, taken = 0; n < lines.Length && taken < images; taken++)
        {
            int count = int.Parse(lines[n + 1]);
            int span = 2 + Math.Max(count, 1);
            subset.AddRange(lines.Skip(n).Take(span));
            n += span;
        }
        var path = Path.Combine(dir, "gt.txt");
        File.WriteAllLines(path, subset);
        return path;
    }
}
