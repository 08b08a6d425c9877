namespace FaceMesh.Matching.Storage;

/// <summary>
/// A face log holds a bad record with more records after it: changes that were acknowledged follow it, so it is
/// damage on the disk, not a crash's torn tail, and the store does not open rather than drop them silently.
/// </summary>
public sealed class FaceLogDamagedException(string path, long offset, int goodRecords)
    : Exception($"The face log '{path}' is damaged at byte {offset}: the record there fails its length or checksum and more data follows it, " +
                $"so acknowledged changes after it would be lost. The store does not open on a damaged log. Restore the data directory from a backup, " +
                $"or salvage the {goodRecords} records before the damage with Matcher:Embedded:SalvageDamagedLog=true (the rest is kept in " +
                $"'{path}.damaged-{offset}' for inspection; the changes in it are lost).")
{
    public string Path { get; } = path;
    public long Offset { get; } = offset;
}
