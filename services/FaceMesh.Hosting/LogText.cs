using System.Text;

namespace FaceMesh.Hosting;

/// <summary>
/// Caller-supplied text made safe for a log line or an audit record: control characters (CR, LF, escape, …) written
/// as <c>\uXXXX</c> so no line can be forged, and anything beyond <see cref="MaxLength"/> characters cut off with its
/// length noted, so a multi-megabyte name cannot fill a disk.
/// </summary>
public static class LogText
{
    public const int MaxLength = 200;

    public static string Safe(string? value, int maxLength = MaxLength)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        bool clean = value.Length <= maxLength;
        foreach (var c in value)
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
            {
                clean = false;
                break;
            }
        if (clean)
            return value;
        var text = new StringBuilder(Math.Min(value.Length, maxLength) + 32);
        foreach (var c in value.AsSpan(0, Math.Min(value.Length, maxLength)))
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
                text.Append($"\\u{(int)c:x4}");
            else
                text.Append(c);
        if (value.Length > maxLength)
            text.Append($"…({value.Length} characters)");
        return text.ToString();
    }
}
