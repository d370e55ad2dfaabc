using System.Globalization;
using System.Text.Json.Nodes;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using PdfSharp;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;
using QRCoder;

namespace CertLibrary.Api.Pdf;

/// <summary>Settings of printable certificates.</summary>
public sealed class CertificatePdfOptions
{
    /// <summary><c>CERTLIB_PDF_FONT</c>: path of a single-face TrueType CJK font; found automatically when unset.</summary>
    public string? FontPath { get; set; }

    /// <summary><c>CERTLIB_PDF_LATIN_FONT</c>: path of a TrueType font for letters and digits; found automatically when unset.</summary>
    public string? LatinFontPath { get; set; }
}

/// <summary>
/// Renders the printable copy of a certificate (SPEC §8, 纸质证照和电子证照同步签发): one A4 page with the type's
/// name, the face fields with their Chinese labels, holder (identity number masked), number, identifier, issuer,
/// dates, status and the certificate's QR code drawn as vectors. Registered in DI for the API and portal pages.
/// </summary>
public sealed class CertificatePdfRenderer(ICertificateStore store, TimeProvider time, Microsoft.Extensions.Options.IOptions<CertificatePdfOptions> options)
{
    private const double Margin = 56;
    private const double LabelWidth = 120;
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);
    private static readonly Lock Gate = new();
    private static PdfFontResolver? s_resolver;

    /// <summary>The CJK font file embedded in every PDF (located on first use).</summary>
    public string FontPath => EnsureReady().CjkPath;

    /// <summary>Renders the PDF. <paramref name="qrText"/> is the text of the QR to print (offline <c>CL2:…</c> or online URL).</summary>
    /// <param name="certificate">The certificate as read, with live status.</param>
    /// <param name="qrText">The QR text, as <c>GET /api/v1/certificates/{id}/qr</c> gives it for the type's <c>qrMode</c>.</param>
    /// <param name="qrExpiresAt">When an online QR stops working; null for an offline QR.</param>
    /// <param name="cancellationToken">Cancels the type lookup.</param>
    /// <exception cref="PdfUnavailableException">No CJK font installed.</exception>
    public async Task<byte[]> RenderAsync(Certificate certificate, string qrText, DateTimeOffset? qrExpiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentException.ThrowIfNullOrEmpty(qrText);
        EnsureReady();
        var payload = certificate.Payload;
        var type = await store.FindTypeAsync(payload.TypeCode, cancellationToken);

        using var document = new PdfDocument();
        document.Info.Title = (type?.Name ?? payload.TypeCode) + " " + payload.Number;
        document.Info.Subject = payload.Id;
        document.Info.Creator = "CertLibrary";
        var page = document.AddPage();
        page.Size = PageSize.A4;
        using (var graphics = XGraphics.FromPdfPage(page))
        {
            Draw(graphics, page.Width.Point, certificate, type, qrText, qrExpiresAt);
        }

        using var output = new MemoryStream();
        document.Save(output);
        return output.ToArray();
    }

    /// <summary>Masks an identity number for print: first 4 and last 4 characters kept (1101**********002X).</summary>
    public static string MaskIdNumber(string idNumber)
    {
        ArgumentNullException.ThrowIfNull(idNumber);
        return idNumber.Length <= 8 ? new string('*', idNumber.Length) : idNumber[..4] + new string('*', idNumber.Length - 8) + idNumber[^4..];
    }

    private void Draw(XGraphics graphics, double pageWidth, Certificate certificate, CertificateType? type, string qrText, DateTimeOffset? qrExpiresAt)
    {
        var payload = certificate.Payload;
        var title = new Face(26);
        var body = new Face(11.5);
        var small = new Face(8.5);
        var grey = new XSolidBrush(XColor.FromArgb(90, 90, 90));
        var width = pageWidth - (2 * Margin);

        var y = Margin;
        DrawCentered(graphics, type?.Name ?? payload.TypeCode, title, XBrushes.Black, Margin, width, y);
        y += 40;
        DrawCentered(graphics, "电子证照打印件", small, grey, Margin, width, y);
        y += 22;
        graphics.DrawLine(new XPen(XColors.Black, 0.8), Margin, y, Margin + width, y);
        y += 12;

        // An organisation's face: its registered name and credit code in full (a public registration, SPEC §3).
        var rows = payload.Holder.CreditCode is { } creditCode
            ? new List<(string Label, string Value)> { ("名称", payload.Holder.Name), ("统一社会信用代码", creditCode) }
            : [("持证人", payload.Holder.Name), ("公民身份号码", MaskIdNumber(payload.Holder.IdNumber!) + "（为保护个人信息，已隐去中间 10 位）")];
        foreach (var field in type?.Fields ?? [])
        {
            if (payload.Fields[field.Name] is { } value)
            {
                rows.Add((field.Label ?? field.Name, FormatField(field, value)));
            }
        }

        rows.Add(("证照编号", payload.Number));
        rows.Add(("发证机关", $"{payload.Issuer.Name}（{payload.Issuer.Code}）"));
        rows.Add(("签发日期", FormatDate(payload.IssuedAt)));
        rows.Add(("有效期", FormatDate(payload.ValidFrom) + " 至 " + (payload.ValidUntil is { } until ? FormatDate(until) : "长期")));
        var reason = string.Join("：", new[] { ReasonLabel(certificate.StatusReasonCode), certificate.StatusReason }.Where(r => !string.IsNullOrEmpty(r)));
        rows.Add(("状态", StatusLabel(certificate.Status) + (reason.Length > 0 ? "（" + reason + "）" : string.Empty)));
        rows.Add(("打印时间", time.GetUtcNow().ToOffset(Beijing).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "（北京时间）"));

        foreach (var (label, value) in rows)
        {
            DrawText(graphics, label, body, grey, Margin, y);
            foreach (var line in Wrap(graphics, value, body, width - LabelWidth))
            {
                DrawText(graphics, line, body, XBrushes.Black, Margin + LabelWidth, y);
                y += 19;
            }
        }

        DrawText(graphics, "证照标识", body, grey, Margin, y);
        y += 19;
        DrawText(graphics, payload.Id, small, XBrushes.Black, Margin, y);
        y += 24;

        using var qr = QrCodeFor(qrText);
        var size = XUnit.FromMillimeter(80).Point;
        DrawQr(graphics, qr, (pageWidth - size) / 2, y, size);
        y += size + 6;
        var caption = qrExpiresAt is { } expires
            ? "在线核验二维码，" + expires.ToOffset(Beijing).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "（北京时间）前有效；过期后请重新打印或出示电子证照"
            : "离线核验二维码：用核验终端或 /verify 页面扫描，无网络时也可核验签名";
        DrawCentered(graphics, caption, small, grey, Margin, width, y);
        y += 14;
        DrawCentered(graphics, $"二维码版本 {qr.Version}，纠错等级 Q", small, grey, Margin, width, y);

        var footer = XUnit.FromMillimeter(297).Point - Margin;
        DrawCentered(graphics, "本打印件与电子证照同步签发，真伪与状态以扫码核验结果为准。身份号码已部分隐去，核验持证人身份时请查验本人身份证件。",
            small, grey, Margin, width, footer);
    }

    /// <summary>Draws text from its top-left corner, each run in the font that has its glyphs.</summary>
    private static void DrawText(XGraphics graphics, string text, Face face, XBrush brush, double x, double y)
    {
        foreach (var (run, font) in Runs(text, face))
        {
            graphics.DrawString(run, font, brush, new XPoint(x, y), XStringFormats.TopLeft);
            x += graphics.MeasureString(run, font).Width;
        }
    }

    private static void DrawCentered(XGraphics graphics, string text, Face face, XBrush brush, double left, double width, double y) =>
        DrawText(graphics, text, face, brush, left + ((width - Measure(graphics, text, face)) / 2), y);

    private static double Measure(XGraphics graphics, string text, Face face) =>
        Runs(text, face).Sum(r => graphics.MeasureString(r.Text, r.Font).Width);

    private static IEnumerable<(string Text, XFont Font)> Runs(string text, Face face)
    {
        var run = new System.Text.StringBuilder();
        bool? latin = null;
        foreach (var rune in text.EnumerateRunes())
        {
            var isLatin = PdfFontResolver.IsLatin(rune);
            if (latin is { } current && current != isLatin)
            {
                yield return (run.ToString(), current ? face.Latin : face.Cjk);
                run.Clear();
            }

            latin = isLatin;
            run.Append(rune.ToString());
        }

        if (latin is { } last)
        {
            yield return (run.ToString(), last ? face.Latin : face.Cjk);
        }
    }

    private static QRCodeData QrCodeFor(string text)
    {
        using var generator = new QRCodeGenerator();
        return generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.Q);
    }

    /// <summary>Draws the modules (quiet zone included) as filled runs: crisp at any print resolution.</summary>
    private static void DrawQr(XGraphics graphics, QRCodeData qr, double x, double y, double size)
    {
        var matrix = qr.ModuleMatrix;
        var module = size / matrix.Count;
        for (var row = 0; row < matrix.Count; row++)
        {
            var bits = matrix[row];
            var column = 0;
            while (column < bits.Length)
            {
                if (!bits[column])
                {
                    column++;
                    continue;
                }

                var start = column;
                while (column < bits.Length && bits[column])
                {
                    column++;
                }

                graphics.DrawRectangle(XBrushes.Black, x + (start * module), y + (row * module), (column - start) * module, module);
            }
        }
    }

    private static IEnumerable<string> Wrap(XGraphics graphics, string text, Face face, double width)
    {
        var line = new System.Text.StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (line.Length > 0 && Measure(graphics, line + rune.ToString(), face) > width)
            {
                yield return line.ToString();
                line.Clear();
            }

            line.Append(rune.ToString());
        }

        if (line.Length > 0)
        {
            yield return line.ToString();
        }
    }

    private static string FormatField(FieldDefinition field, JsonNode value) => field.Type switch
    {
        "boolean" when value is JsonValue b && b.TryGetValue<bool>(out var flag) => flag ? "是" : "否",
        _ when value is JsonValue v && v.TryGetValue<string>(out var text) => text,
        _ => value.ToJsonString(),
    };

    private static string FormatDate(DateTimeOffset value) =>
        value.ToOffset(Beijing).ToString("yyyy年MM月dd日", CultureInfo.InvariantCulture);

    private static string StatusLabel(string status) => status switch
    {
        CertificateStatus.Valid => "有效",
        CertificateStatus.Suspended => "已暂停",
        CertificateStatus.Revoked => "已撤销",
        CertificateStatus.Expired => "已过期",
        _ => status,
    };

    private static string? ReasonLabel(string? code) => code switch
    {
        null => null,
        StatusReasonCodes.Superseded => "已换发新版本",
        StatusReasonCodes.HolderRequest => "持证人申请",
        StatusReasonCodes.IssuedInError => "错误签发",
        StatusReasonCodes.HolderDeceased => "持证人死亡或主体注销",
        StatusReasonCodes.DataChanged => "证照信息变更",
        StatusReasonCodes.CessationOfOperation => "停止经营",
        StatusReasonCodes.KeyCompromise => "遗失或被冒用",
        StatusReasonCodes.PrivilegeWithdrawn => "依法撤回",
        StatusReasonCodes.Other => "其他",
        _ => code,
    };

    /// <summary>Installs the font resolver once per process (a PDFsharp global).</summary>
    private PdfFontResolver EnsureReady()
    {
        lock (Gate)
        {
            if (s_resolver is null)
            {
                s_resolver = PdfFontResolver.Locate(options.Value.FontPath, options.Value.LatinFontPath);
                GlobalFontSettings.FontResolver = s_resolver;
            }

            return s_resolver;
        }
    }
}

/// <summary>One text size in both fonts.</summary>
internal sealed class Face(double size)
{
    private static readonly XPdfFontOptions Unicode = new(PdfFontEncoding.Unicode);

    public XFont Cjk { get; } = new(PdfFontResolver.CjkFamily, size, XFontStyleEx.Regular, Unicode);

    public XFont Latin { get; } = new(PdfFontResolver.LatinFamily, size, XFontStyleEx.Regular, Unicode);
}
