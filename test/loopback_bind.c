/*
 * loopback_bind.c
 *		An LD_PRELOAD shim that turns a bind() to every interface into a bind()
 *		to the loopback address.  DynamoDB Local has no option for the address
 *		it listens on and binds every interface; the test stack runs it with
 *		this shim so that it answers on 127.0.0.1 only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn) (int, const struct sockaddr *, socklen_t);

int
bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	static bind_fn real_bind;

	if (real_bind == NULL)
		real_bind = (bind_fn) dlsym(RTLD_NEXT, "bind");

	if (addr != NULL && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
	{
		struct sockaddr_in in4;

		memcpy(&in4, addr, sizeof(in4));
		if (in4.sin_addr.s_addr == htonl(INADDR_ANY))
		{
			in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			return real_bind(fd, (const struct sockaddr *) &in4, sizeof(in4));
		}
	}
	else if (addr != NULL && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
	{
		struct sockaddr_in6 in6;

		memcpy(&in6, addr, sizeof(in6));
		if (memcmp(&in6.sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0)
		{
			/* ::ffff:127.0.0.1, which IPv4 clients of 127.0.0.1 reach */
			memset(&in6.sin6_addr, 0, sizeof(in6.sin6_addr));
			in6.sin6_addr.s6_addr[10] = 0xff;
			in6.sin6_addr.s6_addr[11] = 0xff;
			in6.sin6_addr.s6_addr[12] = 127;
			in6.sin6_addr.s6_addr[15] = 1;
			return real_bind(fd, (const struct sockaddr *) &in6, sizeof(in6));
		}
	}
	return real_bind(fd, addr, len);
}
