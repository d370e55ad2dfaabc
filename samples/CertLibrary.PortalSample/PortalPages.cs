using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace CertLibrary.PortalSample;

/// <summary>The portal's pages: Chinese, never framed, never cached; the only script is the logout form's auto-submit (CSP nonce).</summary>
internal static class PortalPages
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Encode(string value) => Encoder.Encode(value);

    public static IResult Page(HttpContext context, string portal, string body, int status = StatusCodes.Status200OK, string? scriptNonce = null, string? formAction = null)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            + (formAction is null ? string.Empty : " " + formAction)
            + (scriptNonce is null ? string.Empty : $"; script-src 'nonce-{scriptNonce}'");
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>").Append(Encode(portal)).Append("</title>")
            .Append("<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}")
            .Append("header{border-bottom:2px solid #b22;margin-bottom:1rem}button{padding:.5rem 1.2rem;font-size:1rem}.error{color:#b00020}</style>")
            .Append("</head><body><header><h1>").Append(Encode(portal)).Append("</h1></header>")
            .Append(body).Append("</body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    public static IResult Problem(HttpContext context, string portal, string message, int status = StatusCodes.Status400BadRequest) =>
        Page(context, portal, $"<p class=\"error\" id=\"error\">{Encode(message)}</p><p><a href=\"/\">返回首页</a></p>", status);

    /// <summary>A form that posts itself to <paramref name="action"/> (a button when scripts are off).</summary>
    public static IResult AutoPost(HttpContext context, string portal, string action, IReadOnlyDictionary<string, string> fields)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var body = new StringBuilder().Append("<p>正在退出统一身份认证…</p><form method=\"post\" id=\"continue\" action=\"").Append(Encode(action)).Append("\">");
        foreach (var (name, value) in fields)
        {
            body.Append("<input type=\"hidden\" name=\"").Append(Encode(name)).Append("\" value=\"").Append(Encode(value)).Append("\">");
        }

        body.Append("<noscript><button type=\"submit\">继续退出</button></noscript></form>")
            .Append("<script nonce=\"").Append(nonce).Append("\">document.getElementById('continue').submit();</script>");
        var origin = new Uri(action).GetLeftPart(UriPartial.Authority);
        return Page(context, portal, body.ToString(), StatusCodes.Status200OK, nonce, origin);
    }
}
