using System.Diagnostics;
using FaceMesh.Matching.Storage;

namespace FaceMesh.Matching.Embedded;

/// <summary>Settings of the embedded store (configuration section <c>Matcher:Embedded</c>).</summary>
public sealed class EmbeddedStoreOptions
{
    /// <summary>Folder of the log and snapshots; empty keeps galleries in memory only (lost on restart).</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Scan an int8 copy of the vectors first and re-rank the best candidates with floats (¼ of the memory traffic; 25 % more
    /// memory).</summary>
    public bool Int8Scan { get; set; }

    /// <summary>A snapshot is taken (and the log restarted) when the log grows past this many bytes.</summary>
    public long SnapshotAfterLogBytes { get; set; } = 256L << 20;

    /// <summary>
    /// After a subject is deleted, a snapshot follows within this many seconds: the log that still held the deleted
    /// vectors is then removed, so they leave the disk too (erasure). 0 snapshots right away.
    /// </summary>
    public double ErasureDelaySeconds { get; set; } = 60;

    /// <summary>
    /// Open a damaged log anyway: keep the records before the damage and move the rest aside (see
    /// <see cref="Storage.FaceLogDamagedException"/>). Off: a damaged log stops the Matcher with its file and offset.
    /// </summary>
    public bool SalvageDamagedLog { get; set; }
}

/// <summary>
/// The embedded <see cref="IVectorStore"/>: every gallery in memory, searched exactly, and, with a data
/// directory, made durable by an append-only <see cref="FaceLog"/> and periodic <see cref="GallerySnapshot"/>s.
/// A change is checked, written to the log and flushed, and only then applied and acknowledged, so a restart
/// (or <c>kill -9</c>) loses nothing acknowledged; a torn last record (never acknowledged) is discarded.
/// Files: <c>snapshot-N.bin</c> holds everything before <c>log-N.log</c>; start-up loads the newest snapshot and
/// replays the logs from its number on.
/// </summary>
public sealed class EmbeddedVectorStore : IVectorStore, IDisposable
{
    private readonly EmbeddedStoreOptions _options;
    private readonly Action<string> _report;
    private readonly object _writes = new();
    private readonly SemaphoreSlim _snapshotting = new(1, 1);
    private FaceLog? _log;
    private long _segment;
    private Timer? _erasure;
    private long _deletions, _erasedDeletions; // deletions logged, and those a completed snapshot has erased from the disk

    public EmbeddedVectorStore(EmbeddedStoreOptions options, Action<string>? report = null)
    {
        _options = options;
        _report = report ?? (_ => { });
        Catalog = new GalleryCatalog(options.Int8Scan);
        if (!string.IsNullOrEmpty(options.DataDirectory))
            Restore(options.DataDirectory);
    }

    public GalleryCatalog Catalog { get; }

    public bool IsPersistent => !string.IsNullOrEmpty(_options.DataDirectory);

    /// <summary>How long start-up took to load the snapshot and replay the logs.</summary>
    public TimeSpan RestoreTime { get; private set; }

    private string SnapshotPath(long segment) => Path.Combine(_options.DataDirectory, $"snapshot-{segment:D8}.bin");
    private string LogPath(long segment) => Path.Combine(_options.DataDirectory, $"log-{segment:D8}.log");

    private static long Number(string path) => long.Parse(Path.GetFileNameWithoutExtension(path).Split('-')[1]);

    private void Restore(string directory)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(directory);
        foreach (var temporary in Directory.GetFiles(directory, "*.tmp"))
            File.Delete(temporary); // a snapshot cut short by a crash; the logs still hold its changes
        var snapshot = Directory.GetFiles(directory, "snapshot-*.bin").OrderBy(Number).LastOrDefault();
        long faces = 0;
        if (snapshot is not null)
        {
            _segment = Number(snapshot);
            faces = GallerySnapshot.Load(snapshot, Catalog);
        }
        var logs = Directory.GetFiles(directory, "log-*.log").Select(p => (Path: p, Number: Number(p)))
            .Where(l => l.Number >= _segment).OrderBy(l => l.Number).ToList();
        int replayed = 0;
        long discarded = 0;
        foreach (var (path, number) in logs)
        {
            var log = FaceLog.Open(path, Catalog, out int records, out long torn, _options.SalvageDamagedLog);
            replayed += records;
            discarded += torn;
            if (number == logs[^1].Number)
            {
                _log = log;
                _segment = number;
            }
            else
            {
                log.Dispose();
            }
        }
        _log ??= FaceLog.Open(LogPath(_segment), Catalog, out _, out _);
        RestoreTime = clock.Elapsed;
        _report($"Restored {faces:N0} faces from {(snapshot is null ? "no snapshot" : Path.GetFileName(snapshot))} and {replayed:N0} logged changes " +
                $"from {directory} in {RestoreTime.TotalSeconds:F1} s" +
                (discarded > 0 ? $"; discarded a torn last record of {discarded} bytes (never acknowledged)" : ""));
    }

    public Task UpsertAsync(GalleryKey gallery, IReadOnlyList<EnrolledFace> faces, CancellationToken cancellation = default)
    {
        if (faces.Count == 0)
            return Task.CompletedTask;
        faces = EnrolledFace.Stamped(faces);
        lock (_writes)
        {
            // A face of a subject deleted at or after its enrollment stays deleted (an event that arrives late).
            faces = faces.Where(f => !Catalog.Tombstones.Buries(gallery, f)).ToArray();
            if (faces.Count == 0)
                return Task.CompletedTask;
            var index = Catalog.GetOrCreate(gallery);
            index.Validate(faces);
            Log()?.AppendUpsert(gallery, faces);
            index.Upsert(faces);
        }
        SnapshotIfDue();
        return Task.CompletedTask;
    }

    public Task<int> DeleteSubjectAsync(GalleryKey gallery, string subjectId, long deletedAtMs = 0, CancellationToken cancellation = default)
    {
        if (deletedAtMs == 0)
            deletedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        lock (_writes)
        {
            if (Catalog.Tombstones.DeletedAt(gallery, subjectId) >= deletedAtMs)
                return Task.FromResult(0); // a redelivered (or older) deletion: already applied
            // The tombstone is recorded even when nothing is stored yet: the enrollment may still be on its way.
            Log()?.AppendDelete(gallery, subjectId, deletedAtMs);
            Catalog.Tombstones.Mark(gallery, subjectId, deletedAtMs);
            int deleted = Catalog.Find(gallery)?.DeleteSubject(subjectId, deletedAtMs) ?? 0;
            if (deleted == 0)
                return Task.FromResult(0);
            if (_log is not null)
                _deletions++;
            if (_log is not null)
                _erasure ??= new Timer(_ => Erase(), null, TimeSpan.FromSeconds(_options.ErasureDelaySeconds), Timeout.InfiniteTimeSpan);
            return Task.FromResult(deleted);
        }
    }

    /// <summary>The snapshot that follows deletions: every deletion before it is then gone from the disk.</summary>
    private void Erase()
    {
        lock (_writes)
        {
            _erasure?.Dispose();
            _erasure = null; // a deletion from now on schedules the next one
        }
        try
        {
            Snapshot();
            _report("Deleted subjects erased from disk (snapshot written, older log removed)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _report($"Erasure snapshot failed ({e.Message}); the deleted vectors stay in the log, tried again in {RetryDelay.TotalSeconds:0} s.");
        }
    }

    private TimeSpan RetryDelay => TimeSpan.FromSeconds(Math.Max(1, _options.ErasureDelaySeconds));

    /// <summary>After a failed snapshot: deletions it should have erased get another attempt (caller holds the write lock).</summary>
    private void ScheduleErasureRetry()
    {
        if (_log is not null && _erasedDeletions < _deletions)
            _erasure ??= new Timer(_ => Erase(), null, RetryDelay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>True while deleted vectors may still be in the log on disk: until a snapshot begun after the deletion completes.</summary>
    public bool ErasurePending
    {
        get
        {
            lock (_writes)
                return _erasedDeletions < _deletions;
        }
    }

    /// <summary>The log to write to (null in memory-only mode); a disposed durable store accepts no change.</summary>
    private FaceLog? Log() =>
        _log ?? (string.IsNullOrEmpty(_options.DataDirectory) ? null : throw new ObjectDisposedException(nameof(EmbeddedVectorStore), "The store is closed; its changes could not be made durable."));

    public Task<IReadOnlyList<IReadOnlyList<SubjectMatch>>> SearchAsync(
        GalleryKey gallery, string modelId, IReadOnlyList<float[]> queries, int topK, CancellationToken cancellation = default) =>
        Task.FromResult<IReadOnlyList<IReadOnlyList<SubjectMatch>>>(Catalog.Get(gallery).Search(queries, modelId, topK));

    public Task<IReadOnlyList<EnrolledFace>> GetSubjectAsync(GalleryKey gallery, string subjectId, CancellationToken cancellation = default) =>
        Task.FromResult(Catalog.Get(gallery).FacesOf(subjectId));

    public Task<IReadOnlyCollection<string>> ContainsFacesAsync(GalleryKey gallery, IReadOnlyCollection<string> faceIds, CancellationToken cancellation = default) =>
        Task.FromResult(Catalog.Find(gallery)?.Contains(faceIds) ?? []);

    public Task<IReadOnlyList<SubjectFaceIds>> ListSubjectsAsync(GalleryKey gallery, string? after, int pageSize, CancellationToken cancellation = default) =>
        Task.FromResult(Catalog.Get(gallery).Subjects(after, pageSize));

    public Task<long> CountFacesAsync(GalleryKey gallery, CancellationToken cancellation = default) =>
        Task.FromResult((long)(Catalog.Find(gallery)?.FaceCount ?? 0));

    public Task<GalleryInfo?> CountAsync(GalleryKey gallery, CancellationToken cancellation = default) =>
        Task.FromResult(Catalog.Find(gallery)?.Info());

    public Task<IReadOnlyList<GalleryInfo>> ListGalleriesAsync(string tenant, CancellationToken cancellation = default) =>
        Task.FromResult<IReadOnlyList<GalleryInfo>>(Catalog.OfTenant(tenant).Select(g => g.Info()).ToArray());

    private void SnapshotIfDue()
    {
        long length;
        lock (_writes) // a snapshot under way swaps (and closes) the log under this lock
            length = _log?.Length ?? 0;
        if (length < _options.SnapshotAfterLogBytes || _snapshotting.CurrentCount == 0)
            return;
        _ = Task.Run(() =>
        {
            try { Snapshot(); }
            catch (Exception e) { _report($"Snapshot failed ({e.Message}); the log keeps every change and grows until the next attempt."); }
        });
    }

    /// <summary>
    /// Starts a new log, writes every gallery to a new snapshot, then removes the older snapshot and logs.
    /// Changes made while the snapshot is written go to the new log; replaying them over the snapshot is
    /// harmless (upserts replace by face id, deletions remove by subject), so nothing is lost or doubled.
    /// </summary>
    public void Snapshot()
    {
        if (string.IsNullOrEmpty(_options.DataDirectory))
            throw new InvalidOperationException("The store keeps no data directory; there is nothing to snapshot to.");
        _snapshotting.Wait();
        try
        {
            long segment, covered;
            lock (_writes)
            {
                if (_log is null)
                    return; // disposed meanwhile
                covered = _deletions;
                segment = _segment + 1;
                var next = FaceLog.Open(LogPath(segment), new GalleryCatalog(), out _, out _);
                _log.Dispose();
                _log = next;
                _segment = segment;
                _erasure?.Dispose(); // this snapshot erases every deletion logged so far; a later one schedules anew
                _erasure = null;
            }
            var clock = Stopwatch.StartNew();
            GallerySnapshot.Write(SnapshotPath(segment), Catalog.All, Catalog.Tombstones);
            foreach (var old in Directory.GetFiles(_options.DataDirectory, "*-*.*").Where(p => (p.EndsWith(".bin") || p.EndsWith(".log")) && Number(p) < segment))
                File.Delete(old);
            lock (_writes)
                _erasedDeletions = Math.Max(_erasedDeletions, covered);
            _report($"Snapshot {Path.GetFileName(SnapshotPath(segment))} written in {clock.Elapsed.TotalSeconds:F1} s");
        }
        catch
        {
            lock (_writes)
                ScheduleErasureRetry();
            throw;
        }
        finally
        {
            _snapshotting.Release();
        }
    }

    public void Dispose()
    {
        if (ErasurePending)
            Erase(); // deleted subjects leave the disk before the store closes
        _snapshotting.Wait(); // a snapshot being written finishes first (it replaces files a restart reads)
        lock (_writes)
        {
            _log?.Dispose();
            _log = null;
        }
    }
}
