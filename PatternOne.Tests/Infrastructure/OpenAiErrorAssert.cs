using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace PatternOne.Tests.Infrastructure;

/// <summary>Checks an error answer on the OpenAI API: the status and the <c>error.code</c> of its OpenAI-style body.</summary>
public static class OpenAiErrorAssert
{
    public static async Task HasCodeAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, body.GetProperty("error").GetProperty("code").GetString());
    }
}
