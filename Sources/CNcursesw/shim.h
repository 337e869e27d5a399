#ifndef ASYNCTOP_CNCURSESW_SHIM_H
#define ASYNCTOP_CNCURSESW_SHIM_H

// Wide-character API (add_wch, setcchar, get_wch) needs these before the header.
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1

#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/ncurses.h>

// Macros Swift cannot import, as functions.
static inline attr_t asynctop_a_normal(void) { return A_NORMAL; }
static inline attr_t asynctop_a_bold(void) { return A_BOLD; }
static inline attr_t asynctop_a_dim(void) { return A_DIM; }
static inline attr_t asynctop_a_reverse(void) { return A_REVERSE; }
static inline attr_t asynctop_a_underline(void) { return A_UNDERLINE; }
static inline attr_t asynctop_color_pair(short pair) { return COLOR_PAIR(pair); }
static inline int asynctop_max_y(WINDOW *window) { return getmaxy(window); }
static inline int asynctop_max_x(WINDOW *window) { return getmaxx(window); }
static inline int asynctop_key_resize(void) { return KEY_RESIZE; }
static inline int asynctop_key_f(int n) { return KEY_F(n); }

#endif
