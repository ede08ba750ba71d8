import asyncio, json
import anthropic, httpx

async def test_x(httpx2_mock) -> None:
    async def slow(request):
        await asyncio.sleep(0.05)
        return httpx.Response(200, json={"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"tool_use","id":"toolu_1","name":"stakeholder_update","input":{"a":1}}],"stop_reason":"tool_use","stop_sequence":None,"usage":{"input_tokens":10,"output_tokens":10}})
    route = httpx2_mock.post("http://anthropic.test/v1/messages").mock(side_effect=slow)
    c = anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url="http://anthropic.test", max_retries=0)
    r = await c.messages.create(model="m", max_tokens=10, messages=[{"role":"user","content":"hi"}])
    print(r)
    print(json.loads(route.calls[0].request.content))
    try:
        await anthropic.AsyncAnthropic(api_key="x", base_url="http://other.test", max_retries=0).messages.create(model="m", max_tokens=10, messages=[{"role":"user","content":"hi"}])
    except Exception as e:
        print("unmocked:", type(e), e)
