// SPDX-License-Identifier: MIT
/*
 * Kernel addresses in /data: every integer at or above 2^63 becomes 0 and
 * every 0x-hex number at or above it inside a string becomes 0x0; nothing
 * else changes, and the result is still the same JSON otherwise.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include "agent_internal.h"
#include "../test.h"

static void check(const char *in, const char *want)
{
	char buf[1024];
	size_t n = strlen(in);

	memcpy(buf, in, n + 1);
	n = qz_redact_kernel_addrs(buf, n);
	CHECK_EQ(n, strlen(want));
	buf[n] = 0;
	CHECK_STR(buf, want);
	if (strcmp(buf, want))
		fprintf(stderr, "in:  %s\n", in);
}

static void test_report(void)
{
	/* A trace report's stack and tracepoint fields, as the writer makes them. */
	check("{\"ts\":123,\"type\":\"trace\",\"host\":\"h\",\"seq\":4,"
	      "\"interval_end\":1795273650432579077,"
	      "\"event\":\"kmem:kmalloc\",\"call_site\":18446744071579381474,"
	      "\"ptr\":18446612682540834816,\"bytes_req\":64,\"gfp_flags\":3264,"
	      "\"ret\":-12,\"max\":18446744073709551615,\"half\":9223372036854775807,"
	      "\"stack\":[{\"addr\":\"0xffffffff8123abcd\",\"sym\":\"__kmalloc\",\"off\":45},"
	      "{\"addr\":\"0x7f12345678\",\"sym\":\"malloc\",\"off\":8}],"
	      "\"d\":1.8446744073709552e19,\"neg\":-9223372036854775808}",
	      "{\"ts\":123,\"type\":\"trace\",\"host\":\"h\",\"seq\":4,"
	      "\"interval_end\":1795273650432579077,"
	      "\"event\":\"kmem:kmalloc\",\"call_site\":0,"
	      "\"ptr\":0,\"bytes_req\":64,\"gfp_flags\":3264,"
	      "\"ret\":-12,\"max\":0,\"half\":9223372036854775807,"
	      "\"stack\":[{\"addr\":\"0x0\",\"sym\":\"__kmalloc\",\"off\":45},"
	      "{\"addr\":\"0x7f12345678\",\"sym\":\"malloc\",\"off\":8}],"
	      "\"d\":1.8446744073709552e19,\"neg\":-9223372036854775808}");
	/* Folded stacks and text: hex inside strings; escapes left alone. */
	check("{\"frames\":\"main;0xffffffff81000000;do_syscall_64+0x5c\","
	      "\"esc\":\"a\\\"0xffffffff81000000\\\\\",\"u\":\"\\u00e9 0XFFFF888000000000\"}",
	      "{\"frames\":\"main;0x0;do_syscall_64+0x5c\","
	      "\"esc\":\"a\\\"0x0\\\\\",\"u\":\"\\u00e9 0x0\"}");
	/* Keys are not values; numbers past u64, and 17 hex digits, are no addresses. */
	check("{\"0xffffffff81000000\":99999999999999999999,\"h\":\"0xfffffffff81000000\"}",
	      "{\"0xffffffff81000000\":99999999999999999999,\"h\":\"0xfffffffff81000000\"}");
	check("[18446744073709551615,1,\"x\"]", "[0,1,\"x\"]");
	check("", "");
}

int main(void)
{
	RUN(test_report);
	return test_result();
}
