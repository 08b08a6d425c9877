using FsCheck;
using FsCheck.Fluent;
using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Testing;

/// <summary>
/// The <see cref="IVectorStore"/> contract: one suite, run against every store (the subclasses below).
/// Vectors are seeded random unit vectors, so every expected score is computed, not assumed.
/// </summary>
public abstract class VectorStoreContract : IDisposable
{
    protected const int Dimension = 64;
    protected static readonly GalleryKey Staff = new("tenant-a", "staff");
    private const string Model = "model-1";
    private IVectorStore? _store;

    protected abstract IVectorStore CreateStore();

    /// <summary>Why this store cannot be tested here (the test is reported skipped), or null.</summary>
    protected virtual string? SkipReason => null;

    /// <summary>How many random histories the property test tries (fewer for a store behind a network).</summary>
    protected virtual int PropertyRuns => 200;

    protected IVectorStore Store
    {
        get
        {
            Skip.If(SkipReason is not null, SkipReason);
            return _store ??= CreateStore();
        }
    }

    public virtual void Dispose() => (_store as IDisposable)?.Dispose();

    protected static float[] Unit(int seed, int dimension = Dimension)
    {
        var random = new Random(seed);
        var v = new float[dimension];
        for (int i = 0; i < v.Length; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    /// <summary>A unit vector close to <paramref name="v"/> (cosine about 0.9).</summary>
    protected static float[] Near(float[] v, int seed)
    {
        var noise = Unit(seed, v.Length);
        var mixed = v.Zip(noise, (a, b) => a + 0.45f * b).ToArray();
        float norm = MathF.Sqrt(mixed.Sum(x => x * x));
        return mixed.Select(x => x / norm).ToArray();
    }

    private static float Dot(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();

    protected static EnrolledFace Face(string id, string subject, float[] v, string model = Model, long enrolledAtMs = 1_700_000_000_000) =>
        new(id, subject, v, model, 0.8f, enrolledAtMs);

    /// <summary>Five subjects; alice has two faces.</summary>
    private async Task EnrollFive(GalleryKey? gallery = null)
    {
        await Store.UpsertAsync(gallery ?? Staff, [Face("a1", "alice", Unit(1)), Face("a2", "alice", Unit(2))]);
        await Store.UpsertAsync(gallery ?? Staff, [Face("b1", "bob", Unit(3)), Face("c1", "carol", Unit(4)), Face("d1", "dave", Unit(5)), Face("e1", "erin", Unit(6))]);
    }

    [SkippableFact]
    public async Task A_query_near_a_face_finds_its_subject_first_with_the_exact_cosine()
    {
        await EnrollFive();
        var query = Near(Unit(3), seed: 100);
        var result = (await Store.SearchAsync(Staff, Model, [query], topK: 3))[0];
        Assert.Equal(3, result.Count);
        Assert.Equal(("bob", "b1"), (result[0].SubjectId, result[0].FaceId));
        Assert.Equal(Dot(query, Unit(3)), result[0].Score, 4);
        Assert.True(result[0].Score > result[1].Score && result[1].Score >= result[2].Score);
    }

    [SkippableFact]
    public async Task A_subjects_score_is_its_best_face_and_it_appears_once()
    {
        await EnrollFive();
        var query = Near(Unit(2), seed: 101);
        var result = (await Store.SearchAsync(Staff, Model, [query], topK: 5))[0];
        Assert.Equal(("alice", "a2"), (result[0].SubjectId, result[0].FaceId));
        Assert.Equal(Dot(query, Unit(2)), result[0].Score, 4);
        Assert.Equal(5, result.Select(m => m.SubjectId).Distinct().Count());
    }

    [SkippableFact]
    public async Task A_batch_of_queries_is_answered_in_order_and_top_k_beyond_the_gallery_gives_every_subject()
    {
        await EnrollFive();
        var results = await Store.SearchAsync(Staff, Model, [Near(Unit(4), 102), Near(Unit(6), 103)], topK: 50);
        Assert.Equal(["carol", "erin"], results.Select(r => r[0].SubjectId).ToArray());
        Assert.All(results, r => Assert.Equal(5, r.Count));
    }

    [SkippableFact]
    public async Task Upserting_a_face_id_again_replaces_it_and_another_subject_takes_it_over()
    {
        await EnrollFive();
        await Store.UpsertAsync(Staff, [Face("b1", "bob", Unit(3))]);
        Assert.Equal((5L, 6L), await Counts());
        await Store.UpsertAsync(Staff, [Face("b1", "carol", Unit(3))]);
        Assert.Equal((4L, 6L), await Counts()); // bob had one face, now carol's
        Assert.Empty(await Store.GetSubjectAsync(Staff, "bob"));
        Assert.Equal(["b1", "c1"], (await Store.GetSubjectAsync(Staff, "carol")).Select(f => f.FaceId).ToArray());
    }

    private async Task<(long Subjects, long Faces)> Counts()
    {
        var info = await Store.CountAsync(Staff);
        return (info!.Subjects, info.Faces);
    }

    [SkippableFact]
    public async Task Get_returns_the_stored_faces_with_their_embeddings_model_and_quality()
    {
        await EnrollFive();
        var faces = await Store.GetSubjectAsync(Staff, "alice");
        Assert.Equal(["a1", "a2"], faces.Select(f => f.FaceId).ToArray());
        Assert.All(faces, f => Assert.Equal((Model, 0.8f, 1_700_000_000_000L), (f.ModelId, f.Quality, f.EnrolledAtMs)));
        Assert.Equal(Unit(2), faces[1].Embedding, (a, b) => MathF.Abs(a - b) < 1e-6f);
        Assert.Equal(["a2", "b1"], (await Store.ContainsFacesAsync(Staff, ["a2", "zz", "b1"])).Order().ToArray());
    }

    [SkippableFact]
    public async Task Deleting_a_subject_erases_every_face_and_it_is_no_longer_found()
    {
        await EnrollFive();
        Assert.Equal(2, await Store.DeleteSubjectAsync(Staff, "alice"));
        Assert.Empty(await Store.GetSubjectAsync(Staff, "alice"));
        Assert.Empty(await Store.ContainsFacesAsync(Staff, ["a1", "a2"]));
        var result = (await Store.SearchAsync(Staff, Model, [Unit(1)], topK: 10))[0];
        Assert.Equal(4, result.Count);
        Assert.DoesNotContain(result, m => m.SubjectId == "alice");
        Assert.Equal(0, await Store.DeleteSubjectAsync(Staff, "alice"));
        Assert.Equal(0, await Store.DeleteSubjectAsync(new GalleryKey("tenant-a", "nowhere"), "alice"));
    }

    [SkippableFact]
    public async Task An_unknown_gallery_is_not_found_and_has_no_count()
    {
        await EnrollFive();
        var missing = new GalleryKey("tenant-a", "visitors");
        var e = await Assert.ThrowsAsync<GalleryNotFoundException>(() => Store.SearchAsync(missing, Model, [Unit(1)], 1));
        Assert.Contains("'visitors' does not exist", e.Message);
        await Assert.ThrowsAsync<GalleryNotFoundException>(() => Store.GetSubjectAsync(missing, "alice"));
        await Assert.ThrowsAsync<GalleryNotFoundException>(() => Store.ListSubjectsAsync(missing, null, 10));
        Assert.Null(await Store.CountAsync(missing));
        Assert.Empty(await Store.ContainsFacesAsync(missing, ["a1"]));
    }

    [SkippableFact]
    public async Task A_gallery_is_bound_to_its_first_model_and_refuses_another()
    {
        await EnrollFive();
        var e = await Assert.ThrowsAsync<ModelMismatchException>(() => Store.UpsertAsync(Staff, [Face("x1", "xavier", Unit(7), "model-2")]));
        Assert.Contains("'model-1'", e.Message);
        await Assert.ThrowsAsync<ModelMismatchException>(() => Store.SearchAsync(Staff, "model-2", [Unit(7)], 1));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.UpsertAsync(Staff, [Face("x1", "xavier", Unit(7, 32))]));
        // Nothing of a refused batch is stored.
        await Assert.ThrowsAsync<ModelMismatchException>(() => Store.UpsertAsync(Staff, [Face("y1", "yana", Unit(8)), Face("y2", "yana", Unit(9), "model-2")]));
        Assert.Empty(await Store.GetSubjectAsync(Staff, "yana"));
        Assert.Equal((5L, 6L), await Counts());
    }

    [SkippableFact]
    public async Task Subjects_are_listed_in_pages_in_id_order()
    {
        await EnrollFive();
        var first = await Store.ListSubjectsAsync(Staff, null, 2);
        Assert.Equal(["alice", "bob"], first.Select(s => s.SubjectId).ToArray());
        Assert.Equal(["a1", "a2"], first[0].FaceIds);
        var second = await Store.ListSubjectsAsync(Staff, "bob", 2);
        Assert.Equal(["carol", "dave"], second.Select(s => s.SubjectId).ToArray());
        Assert.Equal(["erin"], (await Store.ListSubjectsAsync(Staff, "dave", 2)).Select(s => s.SubjectId).ToArray());
        Assert.Empty(await Store.ListSubjectsAsync(Staff, "erin", 2));
    }

    [SkippableFact]
    public async Task Galleries_are_counted_and_listed_per_tenant_only()
    {
        await EnrollFive();
        await EnrollFive(new GalleryKey("tenant-a", "contractors"));
        await Store.UpsertAsync(new GalleryKey("tenant-b", "staff"), [Face("z1", "zoe", Unit(10))]);
        var a = await Store.ListGalleriesAsync("tenant-a");
        Assert.Equal(["contractors", "staff"], a.Select(g => g.Key.Gallery).ToArray());
        Assert.All(a, g => Assert.Equal((Model, Dimension, 5L, 6L), (g.ModelId, g.Dimension, g.Subjects, g.Faces)));
        var b = await Store.ListGalleriesAsync("tenant-b");
        Assert.Equal((1L, 1L), (b.Single().Subjects, b.Single().Faces));
        Assert.Empty(await Store.ListGalleriesAsync("tenant-c"));
        // Tenant b's "staff" is its own gallery: tenant a's subjects are not in it.
        var found = (await Store.SearchAsync(new GalleryKey("tenant-b", "staff"), Model, [Unit(3)], 10))[0];
        Assert.Equal(["zoe"], found.Select(m => m.SubjectId).ToArray());
    }

    [SkippableFact]
    public async Task A_face_enrolled_before_its_subjects_deletion_stays_deleted_however_late_it_arrives()
    {
        await EnrollFive();
        // The deletion (at t = 2000) is applied before an enrollment of t = 1000 that it should have erased arrives.
        Assert.Equal(0, await Store.DeleteSubjectAsync(Staff, "carol-late", 2000));
        await Store.UpsertAsync(Staff, [Face("late-1", "carol-late", Unit(61), enrolledAtMs: 1000)]);
        Assert.Empty(await Store.ContainsFacesAsync(Staff, ["late-1"]));
        Assert.Empty(await Store.GetSubjectAsync(Staff, "carol-late"));
        // Enrolled after the deletion: a new enrollment, kept; an older deletion (or the same one redelivered) leaves it.
        await Store.UpsertAsync(Staff, [Face("late-2", "carol-late", Unit(62), enrolledAtMs: 3000)]);
        Assert.Equal(0, await Store.DeleteSubjectAsync(Staff, "carol-late", 2000));
        Assert.Equal(0, await Store.DeleteSubjectAsync(Staff, "carol-late", 1500));
        Assert.Equal(["late-2"], (await Store.GetSubjectAsync(Staff, "carol-late")).Select(f => f.FaceId).ToArray());
        // A later deletion erases it, and the redelivered enrollment of late-2 (t = 3000) does not bring it back.
        Assert.Equal(1, await Store.DeleteSubjectAsync(Staff, "carol-late", 4000));
        await Store.UpsertAsync(Staff, [Face("late-2", "carol-late", Unit(62), enrolledAtMs: 3000)]);
        Assert.Empty(await Store.ContainsFacesAsync(Staff, ["late-2"]));
        // A deletion in a gallery that does not exist yet is remembered for when its enrollments arrive.
        var early = new GalleryKey("tenant-a", "not-yet");
        Assert.Equal(0, await Store.DeleteSubjectAsync(early, "dan", 5000));
        Assert.Null(await Store.CountAsync(early)); // no gallery is made by a deletion
        await Store.UpsertAsync(early, [Face("dan-1", "dan", Unit(63), enrolledAtMs: 4999), Face("eve-1", "eve", Unit(64), enrolledAtMs: 4999)]);
        Assert.Equal(["eve-1"], (await Store.ContainsFacesAsync(early, ["dan-1", "eve-1"])).ToArray());
    }

    /// <summary>One step of a generated history: upsert face <c>Face</c> as <c>Subject</c> with vector <c>Seed</c>, or delete
    /// <c>Subject</c>.</summary>
    public sealed record Step(bool Delete, int Face, int Subject, int Seed);

    private static readonly Gen<Step[]> Histories = Gen.ArrayOf(
        from delete in Gen.Choose(0, 5).Select(d => d == 0) // one step in six deletes
        from face in Gen.Choose(0, 11)
        from subject in Gen.Choose(0, 4)
        from seed in Gen.Choose(1, 1000)
        select new Step(delete, face, subject, seed));

    private int _history;

    [SkippableFact]
    public void After_any_history_of_upserts_and_deletions_the_store_answers_as_a_dictionary_searched_by_brute_force()
    {
        _ = Store; // skipped here when the store cannot run
        Prop.ForAll(Histories.ToArbitrary(), steps =>
        {
            var gallery = new GalleryKey("tenant-p", $"history-{Interlocked.Increment(ref _history)}");
            var model = new Dictionary<string, (string Subject, float[] Vector)>(); // face id → subject, vector
            bool created = false;
            long clock = 1_700_000_000_000; // each step later than the one before, as the Gateway stamps events
            foreach (var step in steps)
            {
                if (step.Delete)
                {
                    if (!created)
                        continue; // no gallery yet: NOT_FOUND, tested elsewhere
                    int removed = model.Count(f => f.Value.Subject == $"s{step.Subject}");
                    Assert.Equal(removed, Store.DeleteSubjectAsync(gallery, $"s{step.Subject}", ++clock).GetAwaiter().GetResult());
                    foreach (var id in model.Where(f => f.Value.Subject == $"s{step.Subject}").Select(f => f.Key).ToArray())
                        model.Remove(id);
                }
                else
                {
                    var vector = Unit(step.Seed * 16 + step.Face); // two faces never share a vector (no ties to order)
                    Store.UpsertAsync(gallery, [Face($"f{step.Face}", $"s{step.Subject}", vector, enrolledAtMs: ++clock)]).GetAwaiter().GetResult();
                    model[$"f{step.Face}"] = ($"s{step.Subject}", vector);
                    created = true;
                }
            }
            if (model.Count == 0)
                return true;
            Assert.Equal(model.Count, Store.CountFacesAsync(gallery).GetAwaiter().GetResult());
            // Search: each subject's best face, best first, exactly as brute force over the dictionary says.
            var query = Unit(4242);
            var expected = model.GroupBy(f => f.Value.Subject).Select(g => (Subject: g.Key, Score: g.Max(f => Dot(f.Value.Vector, query))))
                .OrderByDescending(x => x.Score).Take(3).ToArray();
            var found = Store.SearchAsync(gallery, Model, [query], topK: 3).GetAwaiter().GetResult()[0];
            Assert.True(expected.Select(e => e.Subject).SequenceEqual(found.Select(f => f.SubjectId)) && found.Zip(expected).All(x => Math.Abs(x.First.Score - x.Second.Score) < 1e-4),
                $"expected {string.Join(" ", expected.Select(e => $"{e.Subject}:{e.Score:F6}"))}, found {string.Join(" ", found.Select(f => $"{f.SubjectId}:{f.Score:F6}"))}");
            // Every subject's faces, no more and no fewer.
            foreach (var g in model.GroupBy(f => f.Value.Subject))
                Assert.Equal(g.Select(f => f.Key).Order(), Store.GetSubjectAsync(gallery, g.Key).GetAwaiter().GetResult().Select(f => f.FaceId).Order());
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(PropertyRuns));
    }
}
