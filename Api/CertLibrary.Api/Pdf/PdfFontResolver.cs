using System.Buffers.Binary;
using System.Diagnostics;
using PdfSharp.Fonts;

namespace CertLibrary.Api.Pdf;

/// <summary>
/// Gives PDFsharp the two fonts of a printable certificate: a CJK font and a Latin font for digits and letters
/// (CJK fallback fonts such as Droid Sans Fallback carry no Latin glyphs). PDFsharp 6.5 embeds only single-face
/// TrueType (glyf) fonts: TrueType collections (.ttc, e.g. fonts-noto-cjk) and CFF-flavoured OpenType are skipped.
/// Search order: <c>CERTLIB_PDF_FONT</c> / <c>CERTLIB_PDF_LATIN_FONT</c>, known Debian paths (fonts-droid-fallback,
/// fonts-dejavu-core), then fontconfig (<c>fc-list</c>).
/// </summary>
internal sealed class PdfFontResolver : IFontResolver
{
    /// <summary>The family for CJK text.</summary>
    public const string CjkFamily = "CertLibrary CJK";

    /// <summary>The family for Latin text (letters, digits, ASCII punctuation).</summary>
    public const string LatinFamily = "CertLibrary Latin";

    private const string CjkFace = "certlib-cjk";
    private const string LatinFace = "certlib-latin";

    private static readonly string[] KnownCjkPaths =
    [
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
    ];

    private static readonly string[] KnownLatinPaths =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ];

    private readonly byte[] _cjk;
    private readonly byte[] _latin;

    private PdfFontResolver(string cjkPath, byte[] cjk, string latinPath, byte[] latin)
    {
        CjkPath = cjkPath;
        LatinPath = latinPath;
        _cjk = cjk;
        _latin = latin;
    }

    /// <summary>The CJK font file in use.</summary>
    public string CjkPath { get; }

    /// <summary>The Latin font file in use.</summary>
    public string LatinPath { get; }

    /// <summary>Whether a character is drawn with the Latin font (everything below the CJK blocks).</summary>
    public static bool IsLatin(System.Text.Rune rune) => rune.Value < 0x2E80;

    /// <summary>Finds usable fonts; throws <see cref="PdfUnavailableException"/> naming the fix when there are none.</summary>
    public static PdfFontResolver Locate(string? cjkPath, string? latinPath)
    {
        var (cjkFile, cjk) = Find(cjkPath, "CERTLIB_PDF_FONT", KnownCjkPaths, ":lang=zh",
            "No CJK TrueType font found for printable certificates: install the Debian package fonts-droid-fallback " +
            "(or any single-face .ttf CJK font) or set CERTLIB_PDF_FONT to its path. TrueType collections (.ttc) and CFF fonts are not supported by PDFsharp.");
        var (latinFile, latin) = Find(latinPath, "CERTLIB_PDF_LATIN_FONT", KnownLatinPaths, ":lang=en",
            "No Latin TrueType font found for printable certificates: install the Debian package fonts-dejavu-core or set CERTLIB_PDF_LATIN_FONT to a .ttf file.");
        return new PdfFontResolver(cjkFile, cjk, latinFile, latin);
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(string.Equals(familyName, LatinFamily, StringComparison.Ordinal) ? LatinFace : CjkFace);

    public byte[]? GetFont(string faceName) => faceName switch
    {
        CjkFace => _cjk,
        LatinFace => _latin,
        _ => null,
    };

    private static (string Path, byte[] Bytes) Find(string? configured, string setting, string[] known, string pattern, string missing)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var reason = Check(configured, out var bytes);
            return reason is null ? (configured, bytes!) : throw new PdfUnavailableException($"{setting}={configured} cannot be used: {reason}.");
        }

        foreach (var candidate in known.Concat(FontConfigCandidates(pattern)))
        {
            if (Check(candidate, out var bytes) is null)
            {
                return (candidate, bytes!);
            }
        }

        throw new PdfUnavailableException(missing);
    }

    /// <summary>Null when the file is a single-face TrueType font with glyf outlines and a cmap mapping CJK, else the reason.</summary>
    internal static string? Check(string path, out byte[]? bytes)
    {
        bytes = null;
        byte[] data;
        try
        {
            if (!File.Exists(path))
            {
                return "file not found";
            }

            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "not readable";
        }

        if (data.Length < 12)
        {
            return "not a font file";
        }

        var tag = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (tag == 0x74746366)
        {
            return "a TrueType collection (.ttc), which PDFsharp cannot embed";
        }

        if (tag is not (0x00010000 or 0x74727565))
        {
            return tag == 0x4F54544F ? "CFF-flavoured OpenType, which PDFsharp cannot embed" : "not a TrueType font";
        }

        var tables = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(4));
        if (data.Length < 12 + (16 * tables))
        {
            return "truncated font file";
        }

        var names = Enumerable.Range(0, tables).Select(i => System.Text.Encoding.ASCII.GetString(data, 12 + (16 * i), 4)).ToHashSet(StringComparer.Ordinal);
        if (!names.Contains("glyf") || !names.Contains("cmap"))
        {
            return "no glyf or cmap table";
        }

        bytes = data;
        return null;
    }

    private static IEnumerable<string> FontConfigCandidates(string pattern)
    {
        string output;
        try
        {
            var start = new ProcessStartInfo("fc-list") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(pattern);
            start.ArgumentList.Add("file");
            using var process = Process.Start(start);
            if (process is null)
            {
                return [];
            }

            output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }

        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.TrimEnd(':'))
            .Where(file => file.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
    }
}

/// <summary>Printable certificates cannot be produced on this installation (no usable font).</summary>
public sealed class PdfUnavailableException(string message) : Exception(message);
