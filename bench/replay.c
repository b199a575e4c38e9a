/*
 * replay.c: a loopback DynamoDB Scan server that answers from pages held in
 * memory, so that the server costs nearly nothing and a client's own
 * ceiling shows.
 *
 *   replay --dir DIR [--port P] [--port-file F] [--delay-ms D]
 *
 * DIR/manifest lists "STREAM FILE" lines in page order, as bench/floor
 * --record writes them.  A stream is one recorded scan: "items" (all
 * attributes), "count" (Select=COUNT), and "items-sIofN" / "count-sIofN"
 * for segment I of an N-segment parallel scan.  A request is matched to a
 * stream by its Select, Segment and TotalSegments, and to a page by its
 * ExclusiveStartKey: page k answers the request whose ExclusiveStartKey
 * equals page k-1's LastEvaluatedKey (compared after dropping whitespace, so
 * any client's serialization matches); the first page answers a request
 * with none.  A request for another operation (X-Amz-Target), such as
 * DescribeTable, gets the one answer recorded under a stream of that
 * operation's name.  Limit and ProjectionExpression are ignored: record with the
 * page size the clients will use.  The body is sent byte for byte as
 * recorded, with its x-amz-crc32.
 *
 * Single-threaded, epoll, keep-alive, any number of connections.  With
 * --delay-ms D every answer is held D ms after its request arrived (other
 * connections are served meanwhile).  A GET answers "healthy".  On SIGTERM
 * or SIGINT it prints how many requests it answered and exits.
 */
#include "scanjson.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_FDS 65536
#define MAX_REQUEST (1 << 20)

typedef struct Page
{
	char	   *key;			/* "STREAM|normalized ExclusiveStartKey" */
	char	   *body;
	size_t		len;
	char		head[256];		/* the response's status line and headers */
	size_t		headlen;
} Page;

enum
{
	C_FREE, C_READ, C_WAIT, C_WRITE
};

typedef struct Conn
{
	int			state;
	unsigned	gen;
	char	   *in;
	size_t		inlen,
				incap;
	size_t		reqlen;			/* bytes of the request being answered */
	int			close_after;
	/* the answer: head then body */
	const char *head;
	size_t		headlen;
	const char *body;
	size_t		bodylen;
	size_t		sent;
	char		ownhead[512];	/* for answers that are not recorded pages */
	char		ownbody[512];
} Conn;

typedef struct Pending
{
	int			fd;
	unsigned	gen;
	double		due;
} Pending;

static Page *pages;
static size_t npages;
static size_t *table;			/* open addressing: index+1 into pages */
static size_t tablecap;
static Conn conns[MAX_FDS];
static Pending *queue;
static size_t qhead,
			qtail,
			qcap;
static int epfd;
static double delay_s;
static long answered,
			misses;
static volatile sig_atomic_t stopping;

static void
die(const char *msg)
{
	fprintf(stderr, "replay: %s\n", msg);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t	h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) s[i]) * 1099511628211ULL;
	return h;
}

static void
table_put(size_t idx)
{
	uint64_t	h = hash(pages[idx].key, strlen(pages[idx].key));

	for (size_t i = h & (tablecap - 1);; i = (i + 1) & (tablecap - 1))
	{
		if (table[i] == 0)
		{
			table[i] = idx + 1;
			return;
		}
		if (strcmp(pages[table[i] - 1].key, pages[idx].key) == 0)
		{
			fprintf(stderr, "replay: duplicate page key %s\n", pages[idx].key);
			exit(1);
		}
	}
}

static Page *
table_get(const char *key, size_t keylen)
{
	uint64_t	h = hash(key, keylen);

	if (tablecap == 0)
		return NULL;
	for (size_t i = h & (tablecap - 1);; i = (i + 1) & (tablecap - 1))
	{
		Page	   *p;

		if (table[i] == 0)
			return NULL;
		p = &pages[table[i] - 1];
		if (strlen(p->key) == keylen && memcmp(p->key, key, keylen) == 0)
			return p;
	}
}

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	struct stat st;
	char	   *data;

	if (!f || fstat(fileno(f), &st) != 0)
	{
		fprintf(stderr, "replay: cannot read %s\n", path);
		exit(1);
	}
	data = malloc((size_t) st.st_size + 1);
	if (!data || fread(data, 1, (size_t) st.st_size, f) != (size_t) st.st_size)
		die("read failed");
	data[st.st_size] = '\0';
	fclose(f);
	*len = (size_t) st.st_size;
	return data;
}

static void
load(const char *dir)
{
	char		path[4096],
				line[4096];
	FILE	   *m;
	size_t		cap = 0;
	char		prev_stream[256] = "";
	char	   *prev_lek = NULL;	/* normalized, of the previous page of prev_stream */

	snprintf(path, sizeof(path), "%s/manifest", dir);
	m = fopen(path, "r");
	if (!m)
		die("no manifest in --dir");
	while (fgets(line, sizeof(line), m))
	{
		char		stream[256],
					file[2048];
		Page	   *p;
		const char *obj;
		size_t		objlen,
					keycap;
		uLong		crc;

		if (sscanf(line, "%255s %2047s", stream, file) != 2)
			continue;
		if (npages == cap)
		{
			cap = cap ? cap * 2 : 256;
			pages = realloc(pages, cap * sizeof(Page));
			if (!pages)
				die("out of memory");
		}
		p = &pages[npages];
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		p->body = read_file(path, &p->len);
		if (strcmp(stream, prev_stream) != 0)
		{
			/* a stream's pages are listed together, first page first */
			free(prev_lek);
			prev_lek = strdup("");
			snprintf(prev_stream, sizeof(prev_stream), "%s", stream);
		}
		keycap = strlen(stream) + strlen(prev_lek) + 2;
		p->key = malloc(keycap);
		snprintf(p->key, keycap, "%s|%s", stream, prev_lek);
		free(prev_lek);
		if (sj_object(p->body, p->len, "LastEvaluatedKey", &obj, &objlen))
		{
			prev_lek = malloc(objlen + 1);
			sj_normalize(obj, objlen, prev_lek);
		}
		else
			prev_lek = strdup("(end)");
		crc = crc32(0L, (const Bytef *) p->body, (uInt) p->len);
		p->headlen = (size_t) snprintf(p->head, sizeof(p->head),
									   "HTTP/1.1 200 OK\r\n"
									   "x-amzn-RequestId: REPLAY\r\n"
									   "x-amz-crc32: %lu\r\n"
									   "Content-Type: application/x-amz-json-1.0\r\n"
									   "Content-Length: %zu\r\n\r\n",
									   (unsigned long) crc, p->len);
		npages++;
	}
	fclose(m);
	free(prev_lek);
	if (npages == 0)
		die("the manifest lists no pages");
	for (tablecap = 16; tablecap < npages * 2; tablecap *= 2)
		;
	table = calloc(tablecap, sizeof(size_t));
	if (!table)
		die("out of memory");
	for (size_t i = 0; i < npages; i++)
		table_put(i);
}

static void
set_events(int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
		perror("replay: epoll_ctl");
}

static void
close_conn(int fd)
{
	Conn	   *c = &conns[fd];

	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(c->in);
	c->in = NULL;
	c->inlen = c->incap = 0;
	c->state = C_FREE;
	c->gen++;
}

static void
own_answer(Conn *c, int status, const char *type, const char *message)
{
	if (type)
		snprintf(c->ownbody, sizeof(c->ownbody),
				 "{\"__type\":\"com.amazonaws.dynamodb.v20120810#%s\",\"message\":\"%s\"}",
				 type, message);
	else
		snprintf(c->ownbody, sizeof(c->ownbody), "%s", message);
	c->bodylen = strlen(c->ownbody);
	c->body = c->ownbody;
	c->headlen = (size_t) snprintf(c->ownhead, sizeof(c->ownhead),
								   "HTTP/1.1 %d %s\r\n"
								   "x-amzn-RequestId: REPLAY\r\n"
								   "Content-Type: application/x-amz-json-1.0\r\n"
								   "Content-Length: %zu\r\n\r\n",
								   status, status == 200 ? "OK" : "Bad Request", c->bodylen);
	c->head = c->ownhead;
}

/* A recorded page as the answer. */
static void
answer_recorded(Conn *c, const Page *p)
{
	c->head = p->head;
	c->headlen = p->headlen;
	c->body = p->body;
	c->bodylen = p->len;
	answered++;
}

/*
 * Choose the answer to the request in c->in[0..hdrlen+bodylen); op is the
 * operation its X-Amz-Target names ("" if none).
 */
static void
answer(Conn *c, const char *req, size_t hdrlen, const char *body, size_t bodylen,
	   const char *op)
{
	char		stream[128];
	char		key[4096];
	const char *v;
	const char *obj;
	size_t		objlen,
				keylen;
	long		seg,
				total;
	Page	   *p;

	if (hdrlen >= 3 && strncmp(req, "GET", 3) == 0)
	{
		own_answer(c, 200, NULL, "healthy: replay");
		return;
	}
	if (op[0] != '\0' && strcmp(op, "Scan") != 0)
	{
		/* another operation: its one recorded answer, whatever the body */
		keylen = (size_t) snprintf(key, sizeof(key), "%s|", op);
		p = table_get(key, keylen);
		if (p == NULL)
		{
			misses++;
			fprintf(stderr, "replay: no recorded answer for operation %s\n", op);
			own_answer(c, 400, "UnknownOperationException", "replay: operation not recorded");
			return;
		}
		answer_recorded(c, p);
		return;
	}
	v = sj_find_value(body, bodylen, "Select");
	snprintf(stream, sizeof(stream), "%s",
			 (v && (size_t) (body + bodylen - v) >= 7 && strncmp(v, "\"COUNT\"", 7) == 0) ?
			 "count" : "items");
	total = sj_long(body, bodylen, "TotalSegments");
	seg = sj_long(body, bodylen, "Segment");
	if (total > 1)
		snprintf(stream + strlen(stream), sizeof(stream) - strlen(stream),
				 "-s%ldof%ld", seg, total);
	keylen = (size_t) snprintf(key, sizeof(key), "%s|", stream);
	if (sj_object(body, bodylen, "ExclusiveStartKey", &obj, &objlen))
	{
		if (objlen + keylen + 1 > sizeof(key))
		{
			own_answer(c, 400, "ValidationException", "replay: ExclusiveStartKey too long");
			return;
		}
		keylen += sj_normalize(obj, objlen, key + keylen);
	}
	p = table_get(key, keylen);
	if (p == NULL)
	{
		misses++;
		if (misses <= 5)
			fprintf(stderr, "replay: no recorded page for %.300s\n", key);
		own_answer(c, 400, "ValidationException", "replay: no recorded page for this request");
		return;
	}
	answer_recorded(c, p);
}

/* Write what can be written; 1 when the answer is out, 0 to wait, -1 on error. */
static int
flush_conn(int fd)
{
	Conn	   *c = &conns[fd];

	while (c->sent < c->headlen + c->bodylen)
	{
		struct iovec iov[2];
		int			n = 0;
		ssize_t		w;

		if (c->sent < c->headlen)
		{
			iov[n].iov_base = (void *) (c->head + c->sent);
			iov[n++].iov_len = c->headlen - c->sent;
			iov[n].iov_base = (void *) c->body;
			iov[n++].iov_len = c->bodylen;
		}
		else
		{
			iov[n].iov_base = (void *) (c->body + (c->sent - c->headlen));
			iov[n++].iov_len = c->bodylen - (c->sent - c->headlen);
		}
		w = writev(fd, iov, n);
		if (w < 0)
		{
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->sent += (size_t) w;
	}
	return 1;
}

static void process_input(int fd);

/* Go on writing the answer; when it is out, go back to reading. */
static void
continue_write(int fd)
{
	Conn	   *c = &conns[fd];
	int			r = flush_conn(fd);

	if (r < 0)
	{
		close_conn(fd);
		return;
	}
	if (r == 0)
	{
		set_events(fd, EPOLLOUT);
		return;
	}
	/* done: drop the request, go on with any that followed it */
	memmove(c->in, c->in + c->reqlen, c->inlen - c->reqlen);
	c->inlen -= c->reqlen;
	if (c->close_after)
	{
		close_conn(fd);
		return;
	}
	c->state = C_READ;
	set_events(fd, EPOLLIN | EPOLLRDHUP);
	process_input(fd);
}

static void
start_write(int fd)
{
	conns[fd].state = C_WRITE;
	conns[fd].sent = 0;
	continue_write(fd);
}

static void
enqueue(int fd)
{
	if (qtail - qhead == qcap)
	{
		size_t		ncap = qcap ? qcap * 2 : 64;
		Pending    *nq = malloc(ncap * sizeof(Pending));

		if (!nq)
			die("out of memory");
		for (size_t i = qhead; i < qtail; i++)
			nq[i - qhead] = queue[i % qcap];
		free(queue);
		queue = nq;
		qtail -= qhead;
		qhead = 0;
		qcap = ncap;
	}
	queue[qtail % qcap] = (Pending) {fd, conns[fd].gen, now_s() + delay_s};
	qtail++;
}

/* If c->in holds a whole request, answer it (now or after the delay). */
static void
process_input(int fd)
{
	Conn	   *c = &conns[fd];
	char	   *end;
	size_t		hdrlen,
				bodylen = 0;
	const char *cl;
	char		op[64];

	if (c->state != C_READ || c->inlen == 0)
		return;
	end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
	if (end == NULL)
		return;
	hdrlen = (size_t) (end - c->in) + 4;
	c->in[hdrlen - 1] = '\0';	/* headers are text; the '\n' is not needed */
	for (cl = c->in; (cl = strchr(cl, '\n')) != NULL; cl++)
	{
		if (strncasecmp(cl + 1, "content-length:", 15) == 0)
			bodylen = (size_t) strtoul(cl + 16, NULL, 10);
		else if (strncasecmp(cl + 1, "transfer-encoding:", 18) == 0)
		{
			close_conn(fd);		/* the clients measured here never chunk */
			return;
		}
	}
	c->close_after = 0;
	op[0] = '\0';
	for (cl = c->in; (cl = strchr(cl, '\n')) != NULL; cl++)
		if (strncasecmp(cl + 1, "x-amz-target:", 13) == 0)
		{
			const char *t = cl + 14;
			size_t		n = 0;

			while (*t == ' ')
				t++;
			if (strncmp(t, "DynamoDB_20120810.", 18) == 0)
				t += 18;
			while (n + 1 < sizeof(op) && isalpha((unsigned char) t[n]))
			{
				op[n] = t[n];
				n++;
			}
			op[n] = '\0';
		}
	for (cl = c->in; (cl = strchr(cl, '\n')) != NULL; cl++)
		if (strncasecmp(cl + 1, "connection:", 11) == 0 &&
			strcasestr(cl + 12, "close") != NULL &&
			(strchr(cl + 1, '\n') == NULL || strcasestr(cl + 12, "close") < strchr(cl + 1, '\n')))
			c->close_after = 1;
	c->in[hdrlen - 1] = '\n';
	if (hdrlen + bodylen > MAX_REQUEST)
	{
		close_conn(fd);
		return;
	}
	if (c->inlen < hdrlen + bodylen)
		return;
	c->reqlen = hdrlen + bodylen;
	answer(c, c->in, hdrlen, c->in + hdrlen, bodylen, op);
	if (delay_s > 0)
	{
		c->state = C_WAIT;
		set_events(fd, EPOLLRDHUP);
		enqueue(fd);
	}
	else
		start_write(fd);
}

static void
on_readable(int fd)
{
	Conn	   *c = &conns[fd];

	for (;;)
	{
		ssize_t		n;

		if (c->incap - c->inlen < 65536)
		{
			c->incap = c->incap ? c->incap * 2 : 131072;
			c->in = realloc(c->in, c->incap);
			if (!c->in)
				die("out of memory");
		}
		n = read(fd, c->in + c->inlen, c->incap - c->inlen);
		if (n > 0)
		{
			c->inlen += (size_t) n;
			if (c->inlen > MAX_REQUEST)
			{
				close_conn(fd);
				return;
			}
			continue;
		}
		if (n == 0)
		{
			close_conn(fd);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		close_conn(fd);
		return;
	}
	process_input(fd);
}

static void
on_signal(int sig)
{
	(void) sig;
	stopping = 1;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL,
			   *port_file = NULL;
	int			port = 0,
				lfd,
				one = 1;
	struct sockaddr_in addr;
	socklen_t	alen = sizeof(addr);
	struct epoll_event ev;
	struct sigaction sa;

	for (int i = 1; i + 1 < argc; i += 2)
	{
		if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else if (strcmp(argv[i], "--delay-ms") == 0)
			delay_s = atof(argv[i + 1]) / 1000.0;
		else
			die("usage: replay --dir DIR [--port P] [--port-file F] [--delay-ms D]");
	}
	if (!dir)
		die("usage: replay --dir DIR [--port P] [--port-file F] [--delay-ms D]");
	load(dir);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t) port);
	if (bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) != 0 || listen(lfd, 128) != 0)
		die("cannot listen");
	getsockname(lfd, (struct sockaddr *) &addr, &alen);
	port = ntohs(addr.sin_port);
	if (port_file)
	{
		char		tmp[4096];
		FILE	   *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (!f)
			die("cannot write --port-file");
		fprintf(f, "%d\n", port);
		fclose(f);
		rename(tmp, port_file);
	}
	fprintf(stderr, "replay: %zu pages, listening on 127.0.0.1:%d, delay %.1f ms\n",
			npages, port, delay_s * 1000);

	epfd = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);

	while (!stopping)
	{
		struct epoll_event evs[64];
		int			timeout = -1,
					n;

		/* answers whose delay is over */
		while (qhead < qtail)
		{
			Pending    *p = &queue[qhead % qcap];
			double		left = p->due - now_s();

			if (left > 0)
			{
				timeout = (int) (left * 1000) + 1;
				if (left < 0.001)
					timeout = 1;
				break;
			}
			qhead++;
			if (conns[p->fd].gen == p->gen && conns[p->fd].state == C_WAIT)
				start_write(p->fd);
		}
		n = epoll_wait(epfd, evs, 64, timeout);
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			die("epoll_wait failed");
		}
		for (int i = 0; i < n; i++)
		{
			int			fd = evs[i].data.fd;

			if (fd == lfd)
			{
				int			cfd;

				while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
				{
					if (cfd >= MAX_FDS)
					{
						close(cfd);
						continue;
					}
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					conns[cfd].state = C_READ;
					conns[cfd].inlen = 0;
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.fd = cfd;
					epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev);
				}
				continue;
			}
			if (conns[fd].state == C_FREE)
				continue;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
			{
				close_conn(fd);
				continue;
			}
			if (conns[fd].state == C_WRITE && (evs[i].events & EPOLLOUT))
			{
				continue_write(fd);
				continue;
			}
			if (conns[fd].state == C_WAIT && (evs[i].events & EPOLLRDHUP))
			{
				close_conn(fd);
				continue;
			}
			if (conns[fd].state == C_READ && (evs[i].events & (EPOLLIN | EPOLLRDHUP)))
				on_readable(fd);
		}
	}
	fprintf(stderr, "replay: answered %ld requests, %ld unmatched\n", answered, misses);
	printf("answered=%ld unmatched=%ld\n", answered, misses);
	return 0;
}
